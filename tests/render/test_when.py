"""What /when posts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.render.when import when_text
from bot.views.when import MemberTime, WhenView

AT = datetime(2031, 3, 4, 17, 0, tzinfo=UTC)


def member(user_id: int, zone: str, **kw: object) -> MemberTime:
    values: dict[str, object] = {"zone_source": "hours", "outside_hours": None, "night": False}
    values.update(kw)
    return MemberTime(
        user_id=user_id,
        zone=zone,
        local=AT.astimezone(ZoneInfo(zone)),
        **values,  # type: ignore[arg-type]
    )


def test_the_answer_is_a_timestamp_then_one_line_per_member_with_its_warnings() -> None:
    view = WhenView(
        at=AT,
        local=AT.astimezone(ZoneInfo("Europe/Berlin")),
        zone="Europe/Berlin",
        zone_source="personal",
        members=(
            member(1, "America/New_York", outside_hours=False),
            member(2, "Asia/Tokyo", zone_source="personal", night=True),
            member(3, "Europe/London", zone_source="server", outside_hours=True),
        ),
    )
    first, typed, ny, tokyo, london = when_text(view).splitlines()
    assert first.startswith(f"🕒 **<t:{int(AT.timestamp())}:F>** (<t:{int(AT.timestamp())}:R>)")
    assert typed == "Typed as Tue 04 Mar 18:00 in Europe/Berlin (your zone)."
    assert ny == "• <@1>: Tue 12:00 (America/New_York) ✅ within their hours"
    assert tokyo == "• <@2>: Wed 02:00 (Asia/Tokyo) ⚠️ at night for them"
    assert london == (
        "• <@3>: Tue 17:00 (Europe/London, the server's zone: they set none) "
        "⚠️ outside their available hours"
    )
