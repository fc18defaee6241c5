"""Configuration: file, environment overrides, every kind of error, token never shown."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest

from bot.logs import RedactSecrets
from bot.settings import ConfigError, load_settings, settings_keys

ROOT = Path(__file__).resolve().parent.parent
SECRET = "MTIzNDU2Nzg5.secret-token-value"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(env={"SPRINTBOT_DATA_DIR": str(tmp_path)}, use_default_file=False)
    assert settings.sprint.work == 25
    assert settings.timing.speed == 1.0
    assert settings.database.url == f"sqlite+aiosqlite:///{(tmp_path / 'sprintbot.sqlite3')}"


def test_valid_file_is_loaded_into_frozen_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[sprint]\nwork = 50\nshort_break = 10\n[timing]\nspeed = 60\n"
        '[database]\nurl = "postgresql+asyncpg://u:pw@db/sprintbot"\n',
    )
    settings = load_settings(path, env={})
    assert (settings.sprint.work, settings.sprint.short_break) == (50, 10)
    assert settings.timing.speed == 60.0
    assert settings.database.url.startswith("postgresql+asyncpg://")
    with pytest.raises(AttributeError):
        settings.sprint.work = 1  # type: ignore[misc]


def test_example_file_is_valid_and_documents_every_key() -> None:
    example = ROOT / "config.example.toml"
    load_settings(example, env={})
    text = example.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for section, keys in settings_keys().items():
        for key in keys:
            if section == "":
                assert key in data, key
            else:
                assert f"{key} =" in text or f"# {key} =" in text, f"[{section}] {key}"


def test_unknown_key_names_file_key_and_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "[sprint]\nwrok = 25\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    message = str(err.value)
    assert str(path) in message
    assert "sprint.wrok" in message
    assert "work" in message


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[sprints]\nwork = 25\n")
    with pytest.raises(ConfigError, match=r"unknown section \[sprints\]"):
        load_settings(path, env={})


def test_misplaced_key_suggests_its_section(tmp_path: Path) -> None:
    path = write(tmp_path, "speed = 60\n")
    with pytest.raises(ConfigError, match=r"Did you mean \[timing\] speed"):
        load_settings(path, env={})


def test_wrong_type_says_what_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, '[sprint]\nrounds = "four"\n')
    with pytest.raises(ConfigError, match=r"sprint.rounds must be a whole number from 1 to 12"):
        load_settings(path, env={})


def test_out_of_range_value_says_the_range(tmp_path: Path) -> None:
    path = write(tmp_path, "[sprint]\nwork = 500\n")
    with pytest.raises(ConfigError, match=r"sprint.work = 500 is out of range.*1 to 180"):
        load_settings(path, env={})


def test_default_above_configured_bound_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[sprint]\nwork = 90\nmax_work = 60\n")
    with pytest.raises(ConfigError, match=r"sprint.work = 90 is above its bound"):
        load_settings(path, env={})


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[sprint\nwork = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path, env={})


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "nope.toml", env={})


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[discord]\ntoken = "from-file"\n[timing]\nspeed = 2\n')
    settings = load_settings(
        path,
        env={
            "SPRINTBOT_TOKEN": SECRET,
            "SPRINTBOT_SPEED": "30",
            "SPRINTBOT_DATABASE_URL": "sqlite+aiosqlite:///x.db",
            "SPRINTBOT_SHARD_COUNT": "4",
            "SPRINTBOT_SHARD_IDS": "0,1",
        },
    )
    assert settings.discord.token == SECRET
    assert settings.timing.speed == 30.0
    assert settings.database.url == "sqlite+aiosqlite:///x.db"
    assert settings.discord.shard_ids == (0, 1)


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="SPRINTBOT_SPEED"):
        load_settings(env={"SPRINTBOT_SPEED": "fast"}, use_default_file=False)


def test_config_path_comes_from_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "[sprint]\nrounds = 3\n")
    monkeypatch.setenv("SPRINTBOT_CONFIG", str(path))
    assert load_settings().sprint.rounds == 3


def test_missing_token_for_run_explains_where_to_put_it() -> None:
    settings = load_settings(env={}, use_default_file=False)
    with pytest.raises(ConfigError, match="SPRINTBOT_TOKEN"):
        settings.require_token()


def test_token_never_appears_in_repr_or_errors(tmp_path: Path) -> None:
    settings = load_settings(env={"SPRINTBOT_TOKEN": SECRET}, use_default_file=False)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.discord)
    path = write(tmp_path, "[discord]\ntoken = 12345\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert "12345" not in str(err.value)
    assert "discord.token" in str(err.value)


def test_token_is_redacted_from_log_lines() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "login with %s", (SECRET,), None)
    RedactSecrets([SECRET]).filter(record)
    assert SECRET not in record.getMessage()
    assert "<redacted>" in record.getMessage()


def test_shard_ids_must_fit_shard_count() -> None:
    with pytest.raises(ConfigError, match="must each be below"):
        load_settings(
            env={"SPRINTBOT_SHARD_COUNT": "2", "SPRINTBOT_SHARD_IDS": "0,3"},
            use_default_file=False,
        )


def test_guild_ownership_follows_discords_shard_formula() -> None:
    settings = load_settings(
        env={"SPRINTBOT_SHARD_COUNT": "4", "SPRINTBOT_SHARD_IDS": "1"}, use_default_file=False
    )
    assert settings.handles_guild(1 << 22)
    assert not settings.handles_guild(2 << 22)


# -- every problem at once; URLs, tokens and encodings Sprintbot cannot use --------------------


def test_every_problem_in_the_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, '[sprint]\nwrok = 25\nrounds = "four"\n[timing]\nspeed = -1\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    problems = err.value.problems
    assert len(problems) == 3
    assert any("sprint.wrok" in p for p in problems)
    assert any("sprint.rounds must be a whole number" in p for p in problems)
    assert any("timing.speed = -1" in p for p in problems)
    assert all(str(path) in p for p in problems)


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:hunter2@db/sprints",
        "postgresql://app@db/sprints",
        "sqlite:///data/sprintbot.sqlite3",
        "postgresql+asyncpg:///sprints",
        "not a url",
    ],
)
def test_a_database_url_sprintbot_cannot_use_is_refused(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, f'[database]\nurl = "{url}"\n')
    with pytest.raises(ConfigError, match="not a database Sprintbot can use") as err:
        load_settings(path, env={})
    assert "hunter2" not in str(err.value)
    assert "postgresql+asyncpg://" in str(err.value)


def test_the_usable_database_urls_are_accepted(tmp_path: Path) -> None:
    for url in ("sqlite+aiosqlite:///x.sqlite3", "postgresql+asyncpg://u:p@localhost:5432/db"):
        assert load_settings(env={"SPRINTBOT_DATABASE_URL": url}).database.url == url


@pytest.mark.parametrize("token", [f"{SECRET}\\n", f"Bot {SECRET}", f" {SECRET}", "a\\tb"])
def test_a_token_with_whitespace_or_a_line_break_is_refused(tmp_path: Path, token: str) -> None:
    path = write(tmp_path, f'[discord]\ntoken = "{token}"\n')
    with pytest.raises(ConfigError, match=r"discord\.token is not a usable token") as err:
        load_settings(path, env={})
    assert SECRET not in str(err.value)


def test_a_token_from_the_environment_with_a_newline_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"SPRINTBOT_TOKEN: discord\.token is not a usable token"):
        load_settings(env={"SPRINTBOT_TOKEN": SECRET + "\n"}, use_default_file=False)


def test_a_file_that_is_not_utf8_gets_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes("[timing]\nspeed = 2  # café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"is not UTF-8 text \(byte 0xe9 on line 2\)"):
        load_settings(path, env={})
