"""The `sprintbot` command line: help for each subcommand, config checks, migrations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main

SUBCOMMANDS = ["run", "migrate", "sync-commands", "check-config", "console"]


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([name, "--help"])
    assert exit_.value.code == 0
    assert "usage: sprintbot " + name in capsys.readouterr().out


def test_check_config_reports_a_fine_file(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parent.parent
    assert main(["check-config", str(root / "config.example.toml")]) == 0
    assert "the configuration is fine" in capsys.readouterr().out


def test_check_config_reports_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[timing]\nspeed = -1\n")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "timing.speed" in err and str(bad) in err


def test_run_without_token_fails_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPRINTBOT_TOKEN", raising=False)
    monkeypatch.delenv("SPRINTBOT_CONFIG", raising=False)
    assert main(["run"]) == 2
    assert "SPRINTBOT_TOKEN" in capsys.readouterr().err


def test_migrate_creates_the_sqlite_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPRINTBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SPRINTBOT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["migrate"]) == 0
    assert (tmp_path / "data" / "sprintbot.sqlite3").exists()


def test_migrate_sql_prints_the_schema(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate", "--sql"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        env={"SPRINTBOT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert "CREATE TABLE outbox" in out.stdout


# -- check-config reports everything; global options before or after the subcommand -----------


def test_check_config_lists_every_problem_and_a_non_utf8_file_gets_no_traceback(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[database]\nurl = "mysql://root@db/x"\n[discord]\ntoken = "abc\\n"\n[timing]\nspeed = -1\n'
    )
    latin = tmp_path / "latin.toml"
    latin.write_bytes("# café\n".encode("latin-1"))
    for path, wanted in ((bad, "Configuration errors (3)"), (latin, "is not UTF-8 text")):
        out = subprocess.run(
            [sys.executable, "-m", "bot.cli", "check-config", str(path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert out.returncode == 2
        assert wanted in out.stderr
        assert "Traceback" not in out.stderr


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_config_and_log_level_work_before_and_after_every_subcommand(name: str) -> None:
    parser = build_parser()
    extra = {"check-config": [], "console": []}.get(name, [])
    before = parser.parse_args(["--config", "a.toml", "--log-level", "DEBUG", name, *extra])
    after = parser.parse_args([name, "--config", "b.toml", "--log-level", "ERROR", *extra])
    assert (before.config, before.log_level) == ("a.toml", "DEBUG")
    assert (after.config, after.log_level) == ("b.toml", "ERROR")


def test_config_before_run_reads_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPRINTBOT_TOKEN", raising=False)
    monkeypatch.delenv("SPRINTBOT_CONFIG", raising=False)
    config = tmp_path / "mine.toml"
    config.write_text("[timing]\nspeed = 0\n")
    assert main(["--config", str(config), "run"]) == 2
    err = capsys.readouterr().err
    assert f"{config}: timing.speed = 0" in err
    assert "<defaults>" not in err
