"""`sprintbot console`: scripts, the built-in demo, and bad input at the prompt.

The console starts the local Discord server, seeds the demo guild and runs the real bot with a
SQLite database; these tests drive it the way a user does (a script file, piped stdin, the
``--demo`` flag) and read what it printed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.console import (
    Console,
    ConsoleError,
    Problems,
    main,
    seed,
    setup_logging,
    split_words,
)
from bot.localdiscord import LocalDiscord

ROOT = Path(__file__).resolve().parents[2]


def console_args(**given: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "database": None,
        "speed": None,
        "script": None,
        "demo": False,
        "config": None,
        "log_level": None,
    }
    values.update(given)
    return argparse.Namespace(**values)


def run_cli(
    *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("SPRINTBOT_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        cwd=ROOT,
        env=env,
        check=False,
    )


# -- scripts ----------------------------------------------------------------------------------


def test_a_script_starts_a_sprint_a_member_joins_by_button_and_sets_a_goal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "session.txt"
    script.write_text(
        "# a short session\n"
        '/sprint start work:25 intro:0 voice_channel:"Focus Room" title:"Test sprint"\n'
        'expect "Started **Test sprint**"\n'
        "as alice click Join\n"
        'expect "You\'re in"\n'
        'as alice /goal text:"draft chapter 3"\n'
        'expect "Alice set 1 goal"\n'
        "transcript #coworking\n",
        encoding="utf-8",
    )
    kept = tmp_path / "kept.sqlite3"
    code = main(console_args(script=str(script), database=str(kept)))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "#1 #coworking" in out and "Test sprint" in out
    assert "(bot, only visible to Alice): You're in **Test sprint**" in out
    assert "Alice used /goal" in out and "⬜ draft chapter 3" in out
    assert "✓" in out and "all 7 steps passed" in out
    with sqlite3.connect(kept) as db:  # --database keeps the data
        assert db.execute("select title from sprints").fetchall() == [("Test sprint",)]


def test_a_kept_database_carries_goals_into_the_next_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = tmp_path / "kept.sqlite3"
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text('/goal text:"water the plants"\nexpect "Added 1 goal"\n', encoding="utf-8")
    second.write_text('/goals list\nexpect "water the plants"\n', encoding="utf-8")
    assert main(console_args(script=str(first), database=str(kept))) == 0
    assert main(console_args(script=str(second), database=f"sqlite+aiosqlite:///{kept}")) == 0
    assert "⬜ water the plants" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("/sprnt start", "unknown command /sprnt. Did you mean /sprint?"),
        ("/sprint start wrk:5", "has no option 'wrk'. Did you mean work?"),
        ('expect "a line the bot never says" within 1', "did not appear within 1s"),
    ],
)
def test_a_failing_script_step_exits_non_zero_and_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, why: str
) -> None:
    script = tmp_path / "bad.txt"
    script.write_text(f"/help\n{line}\n/sprint start\n", encoding="utf-8")
    code = main(console_args(script=str(script)))
    captured = capsys.readouterr()
    assert code == 1
    assert f"line 2 failed: {line}" in captured.err and why in captured.err
    assert "Started" not in captured.out  # the script stopped at the failing step


async def test_a_script_fails_when_the_local_server_records_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with LocalDiscord() as server:
        guild, you = seed(server)
        console = Console(server, guild, you, out=sys.stdout, speed=1.0)

        async def unknown_route() -> None:
            async with aiohttp.ClientSession() as http:
                await http.get(f"{server.api_base_url}/no/such/route")

        code, _ = await asyncio.gather(
            console.play([(1, "wait 0.3"), (2, "echo never")], name="s.txt"), unknown_route()
        )
    err = capsys.readouterr().err
    assert code == 1
    assert "s.txt, line 1 failed: wait 0.3" in err and "the local server recorded" in err


async def test_a_script_fails_when_the_bot_logs_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with LocalDiscord() as server:
        guild, you = seed(server)
        sink = Problems()
        restore = setup_logging(None, sink)
        try:
            console = Console(server, guild, you, out=sys.stdout, speed=1.0, problems=sink)
            logging.getLogger("cogs.sprint").error("handler blew up")
            code = await console.play([(1, "echo hello")], name="s.txt")
        finally:
            restore()
    err = capsys.readouterr().err
    assert code == 1
    assert "the bot logged an error (cogs.sprint): handler blew up" in err


def test_a_missing_script_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(console_args(script=str(tmp_path / "nope.txt")))
    assert code == 2
    assert "cannot read the script" in capsys.readouterr().err


def test_quoted_values_and_apostrophes_split_like_a_person_means_them() -> None:
    words = split_words("""as alice /goal text:"draft chapter 3" scope:week note:Sam's""")
    assert [w.text for w in words] == [
        "as",
        "alice",
        "/goal",
        "text:draft chapter 3",
        "scope:week",
        "note:Sam's",
    ]
    assert words[3].split(":") == ("text", "draft chapter 3", True)
    with pytest.raises(ConsoleError, match="not closed"):
        split_words('/goal text:"unfinished')


# -- the prompt -------------------------------------------------------------------------------


def test_bad_input_at_the_prompt_gets_a_message_not_a_traceback() -> None:
    lines = [
        "/sprnt start",
        "/sprint strat",
        "/sprint start work:abc",
        "/sprint start work:500",
        '/goal text:"unclosed',
        "click 99 Join",
        "as dave /goal text:hi",
        "voice alice join coworking",
        "modal goals=x",
        "wait soon",
        "frobnicate",
        "/sprint join",
        "help sprint start",
        "quit",
    ]
    result = run_cli(stdin="\n".join(lines) + "\n")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in out + result.stderr
    expected = [
        "✗ unknown command /sprnt. Did you mean /sprint?",
        "✗ /sprint has no subcommand 'strat'. Did you mean /sprint start?",
        "✗ option 'work' expects an integer, got 'abc'",
        "✗ option 'work' must be between 1 and 180",
        '✗ a quote (") is not closed',
        "✗ there is no message #99",
        "✗ there is no member 'dave' here; members: you, alice, bob, cat",
        "✗ there is no channel 'coworking'",
        "✗ no form is open",
        "✗ wait takes seconds",
        "✗ unknown command 'frobnicate'",
        # the bot's own refusal is shown, marked as only visible to you
        "(bot, only visible to you): There's no sprint running in this channel.",
        "work              optional, whole number 1–180 — Minutes of work per round",
    ]
    for text in expected:
        assert text in out, f"{text!r} not in:\n{out}"


# -- the demo ---------------------------------------------------------------------------------


def test_the_demo_plays_the_whole_coworking_ritual_to_the_end() -> None:
    result = run_cli("--demo", timeout=120)
    out = result.stdout
    assert result.returncode == 0, f"{out}\n{result.stderr}"
    assert "Traceback" not in out + result.stderr
    for text in [
        "**Sprintbot help**",
        "Server time zone set to **Europe/London**",
        "🧵 New thread “Week of",
        "Started **Demo sprint**",
        "(bot, only visible to Alice): You're in **Demo sprint**",
        "🔊 Bob joined Focus Room",
        "@Cat set 1 goal for this sprint and joined it",
        "✋ Check-in · round 1 of 2",
        "Checked in for round 1: **Stuck**",
        "🧵 New thread “🆘 Cat's huddle”",
        "@Cat is stuck after round 1",
        "🎉 Done: **draft chapter 3**",
        "🏁 Debrief · Demo sprint",
        "📝 Chapter 3 drafted. Next: edit it.",
        "Goals of you",
        "Recent sprints",
        "📅 Scheduled **Writing**",
        "⏰ **Writing**",
        "📅 **Writing** starts now.",
        "You're counted as here",
        "📅 Standing session: Writing",
        "Showed up: @you @Alice",
        "🤝 Offered 2 slots of **Pair writing**",
        "✅ Confirmed: **Pair writing**",
        "is on, slot 2",
        "📈 Your progress",
        "📎 file my-stats.png (",
        "✓ the demo: all",
    ]:
        assert text in out, f"{text!r} not in the demo output:\n{out}"


def test_the_demo_refuses_a_speed_it_cannot_keep_up_with(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(console_args(demo=True, speed=600.0))
    err = capsys.readouterr().err
    assert code == 2
    assert "the demo cannot keep up at --speed 600" in err
    assert "Use --speed 60 or less" in err
