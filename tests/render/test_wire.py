"""The shared wire pieces: one timestamp format and one button shape for every area."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render.wire import ButtonStyle, action_row, button, ts


def test_a_timestamp_is_discords_markup_in_whole_seconds() -> None:
    when = datetime(2026, 3, 2, 9, 30, 15, 900_000, tzinfo=UTC)
    assert ts(when) == f"<t:{int(when.timestamp())}:F>"
    assert ts(when, "R") == f"<t:{int(when.timestamp())}:R>"


def test_a_button_carries_its_id_label_style_and_emoji() -> None:
    plain = button("x:1", "Go")
    assert plain == {"type": 2, "style": 2, "label": "Go", "custom_id": "x:1"}
    fancy = button("x:2", "Done", emoji="✅", style=ButtonStyle.SUCCESS)
    assert fancy["emoji"] == {"name": "✅"} and fancy["style"] == 3
    assert action_row(plain, fancy) == {"type": 1, "components": [plain, fancy]}
