"""[web] settings: defaults, validation in clear sentences, environment overrides, check-config."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_web_is_on_for_this_machine_only_by_default() -> None:
    web = load_settings(env={}, use_default_file=False).web
    assert (web.enabled, web.host, web.port, web.public_base_url) == (True, "127.0.0.1", 8080, None)
    assert web.local_base_url == "http://127.0.0.1:8080"


def test_web_section_is_read_and_the_public_url_loses_its_trailing_slash(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        '[web]\nenabled = true\nhost = "0.0.0.0"\nport = 9000\n'
        'public_base_url = "https://sprints.example.org/"\ntrust_proxy = true\n',
    )
    web = load_settings(path, env={}).web
    assert (web.host, web.port, web.trust_proxy) == ("0.0.0.0", 9000, True)
    assert web.public_base_url == "https://sprints.example.org"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("port = 70000", "web.port = 70000 is out of range; allowed: a whole number from 0"),
        ('port = "eighty"', "web.port must be a whole number"),
        ('public_base_url = "sprints.example.org"', "allowed: a URL starting with http://"),
        ('public_base_url = "https://x.org/?a=1"', "must be a plain base URL"),
        ('host = "http://0.0.0.0"', "a host name or IP address"),
        ("enabled = 3", "web.enabled must be true or false"),
        ("prot = 1", "unknown key 'web.prot'"),
    ],
)
def test_bad_web_values_are_refused_with_what_is_allowed(
    tmp_path: Path, text: str, says: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, f"[web]\n{text}\n"), env={})
    assert says in str(err.value)


def test_environment_overrides_the_web_settings(tmp_path: Path) -> None:
    web = load_settings(
        env={
            "SPRINTBOT_WEB_ENABLED": "false",
            "SPRINTBOT_WEB_PORT": "0",
            "SPRINTBOT_WEB_HOST": "::1",
            "SPRINTBOT_PUBLIC_BASE_URL": "https://s.example.org",
        },
        use_default_file=False,
    ).web
    assert (web.enabled, web.port, web.host, web.public_base_url) == (
        False,
        0,
        "::1",
        "https://s.example.org",
    )
    assert web.local_base_url == "http://[::1]:0"


def test_check_config_shows_where_the_web_server_listens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[web]\nport = 9001\npublic_base_url = "https://s.example.org"\n')
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "web: listening on http://127.0.0.1:9001, public at https://s.example.org" in out
    assert main(["check-config", str(write(tmp_path, "[web]\nenabled = false\n"))]) == 0
    assert "web: off" in capsys.readouterr().out
