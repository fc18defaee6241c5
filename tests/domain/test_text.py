from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import ValidationError
from bot.domain.text import (
    ELLIPSIS,
    ZWSP,
    clean_goal_text,
    clean_note,
    clean_title,
    escape_markdown,
    split_lines_goals,
    truncate,
)


def test_goal_is_trimmed() -> None:
    assert clean_goal_text("  write chapter 3  ") == "write chapter 3"


def test_goal_newlines_collapse_to_spaces() -> None:
    assert clean_goal_text("write\nchapter\r\n\n 3") == "write chapter 3"


def test_empty_goal_explains_what_to_write() -> None:
    with pytest.raises(ValidationError) as err:
        clean_goal_text(" \n ")
    assert str(err.value) == "A goal can't be empty. Write what you'll get done, 1–200 characters."


def test_too_long_goal_states_length_and_limit() -> None:
    with pytest.raises(ValidationError, match=r"at most 200 characters; yours is 201"):
        clean_goal_text("x" * 201)


def test_goal_exactly_at_limit_is_accepted() -> None:
    assert clean_goal_text("x" * 200) == "x" * 200


def test_control_characters_are_removed_from_goal() -> None:
    assert clean_goal_text("a\x00b\u200bc") == "abc"


def test_title_limit_is_100() -> None:
    assert clean_title("Deep work") == "Deep work"
    with pytest.raises(ValidationError, match="at most 100"):
        clean_title("t" * 101)


def test_empty_title_is_rejected() -> None:
    with pytest.raises(ValidationError, match="A title can't be empty"):
        clean_title("")


def test_note_keeps_line_breaks_but_collapses_blank_runs() -> None:
    assert clean_note(" first  line \n\n\n\nsecond ") == "first line\n\nsecond"


def test_note_limit_is_500() -> None:
    with pytest.raises(ValidationError, match="at most 500"):
        clean_note("n" * 501)


def test_escape_markdown_neutralises_formatting() -> None:
    assert escape_markdown("**bold** _it_ ~~s~~ `c` ||sp||") == (
        r"\*\*bold\*\* \_it\_ \~\~s\~\~ \`c\` \|\|sp\|\|"
    )


def test_escape_markdown_neutralises_quotes_headings_and_lists() -> None:
    assert escape_markdown("> q\n# h\n- item\n1. first") == "\\> q\n\\# h\n\\- item\n1\\. first"


def test_escape_markdown_neutralises_masked_links() -> None:
    assert escape_markdown("[click](https://evil)") == r"\[click\]\(https://evil\)"


def test_escape_markdown_escapes_backslash_first() -> None:
    assert escape_markdown("\\*") == "\\\\\\*"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@everyone", f"@{ZWSP}everyone"),
        ("@here", f"@{ZWSP}here"),
        ("<@123>", f"<@{ZWSP}123\\>"),
        ("<@!123>", f"<@{ZWSP}!123\\>"),
        ("<@&456>", f"<@{ZWSP}&456\\>"),
    ],
)
def test_escape_markdown_neutralises_mentions(raw: str, expected: str) -> None:
    assert escape_markdown(raw) == expected


def test_escape_markdown_leaves_plain_text_and_emails_alone() -> None:
    assert escape_markdown("finish report for ana@example.com") == (
        "finish report for ana@example.com"
    )


@given(st.text())
def test_escaped_text_contains_no_raw_mention(text: str) -> None:
    escaped = escape_markdown(text)
    assert "@everyone" not in escaped
    assert "@here" not in escaped
    assert "<@1" not in escaped


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("short", 10) == "short"


def test_truncate_adds_ellipsis_within_limit() -> None:
    assert truncate("abcdefghij", 5) == "abcd" + ELLIPSIS


def test_truncate_does_not_leave_dangling_escape() -> None:
    assert truncate(escape_markdown("ab*cd"), 4) == "ab" + ELLIPSIS


@given(st.text(), st.integers(1, 50))
def test_truncate_never_exceeds_limit(text: str, limit: int) -> None:
    assert len(truncate(text, limit)) <= limit


def test_split_lines_goals_one_per_line_ignoring_blanks() -> None:
    assert split_lines_goals("a\n\n  b  \n") == ["a", "b"]


def test_split_lines_goals_strips_bullets_and_numbers() -> None:
    text = "- one\n* two\n• three\n1. four\n2) five\n- [ ] six\n[x] seven"
    assert split_lines_goals(text) == ["one", "two", "three", "four", "five", "six", "seven"]


def test_split_lines_goals_keeps_leading_minus_that_is_not_a_bullet() -> None:
    assert split_lines_goals("-5 kg") == ["-5 kg"]


def test_emoji_joiner_sequences_survive_cleaning() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_goal_text(f"call {family}") == f"call {family}"


def test_bidi_override_is_removed() -> None:
    assert clean_title("abc\u202edef") == "abcdef"
