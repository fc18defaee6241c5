"""The offer card, the confirmation line and /offer list: timestamps, buttons, closed states."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.ids import parse_offer_take_id, parse_offer_withdraw_id
from bot.render import limits
from bot.render.offers import card_payload, confirmed_payload, confirmed_text, offer_list_text
from bot.views.offers import OfferMode, OfferStatus, OfferView, SlotView, Taker

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
OFFERER, ANN, BEN, CAT = 101, 202, 303, 404


def slots(*takers: tuple[Taker, ...]) -> tuple[SlotView, ...]:
    return tuple(
        SlotView(i + 1, NOW + timedelta(hours=2 * (i + 1)), t, started=False)
        for i, t in enumerate(takers)
    )


def offer(**kw: object) -> OfferView:
    base = OfferView(
        id=7,
        guild_id=1,
        channel_id=2,
        message_id=None,
        offerer_id=OFFERER,
        offerer_name="Olu",
        title="Thesis *writing*",
        plan_text="2 rounds of 25 min work, 5 min breaks",
        repeat_text=None,
        mode=OfferMode.FIRST,
        min_people=None,
        max_people=2,
        expires_at=NOW + timedelta(hours=1),
        status=OfferStatus.OPEN,
        slots=slots((), ()),
        targets=(),
        confirmed_position=None,
        series_id=None,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def buttons(payload: dict[str, object]) -> list[dict[str, object]]:
    rows = payload["components"]
    assert isinstance(rows, list)
    return [b for row in rows for b in row["components"]]


def test_an_open_first_taker_card_shows_each_slot_as_timestamps_with_a_take_button() -> None:
    payload = card_payload(offer(), NOW)
    text = payload["embeds"][0]["description"]
    for hours in (2, 4):
        stamp = int((NOW + timedelta(hours=hours)).timestamp())
        assert f"<t:{stamp}:F> (<t:{stamp}:R>)" in text
    assert "The first to take a slot confirms it." in text
    assert "Thesis \\*writing\\*" in text  # member text never formats
    found = buttons(payload)
    assert [b["label"] for b in found] == ["Take slot 1", "Take slot 2", "Withdraw"]
    assert [parse_offer_take_id(str(b["custom_id"])) for b in found[:2]] == [(7, 1), (7, 2)]
    assert parse_offer_withdraw_id(str(found[2]["custom_id"])) == 7
    assert payload["allowed_mentions"] == {"parse": []}


def test_enough_mode_buttons_count_people_including_the_offerer() -> None:
    view = offer(
        mode=OfferMode.ENOUGH,
        min_people=3,
        max_people=3,
        slots=slots((Taker(ANN, "Ann"), Taker(BEN, "Ben")), (Taker(ANN, "Ann"),)),
    )
    payload = card_payload(view, NOW)
    assert [b["label"] for b in buttons(payload)][:2] == ["Slot 1 · 3/3", "Slot 2 · 2/3"]
    text = payload["embeds"][0]["description"]
    assert "3 people (counting <@101>)" in text
    assert "(full)" in text


def test_a_started_slot_loses_its_button_and_is_struck_through() -> None:
    view = offer()
    later = NOW + timedelta(hours=3)  # slot 1 (at +2 h) has started
    payload = card_payload(view, later)
    assert [b["label"] for b in buttons(payload)] == ["Take slot 2", "Withdraw"]
    assert "started" in payload["embeds"][0]["description"]


def test_closed_cards_have_no_buttons_and_say_what_happened() -> None:
    confirmed = offer(
        status=OfferStatus.CONFIRMED,
        confirmed_position=2,
        series_id=12,
        slots=slots((), (Taker(ANN, "Ann"),)),
    )
    expired = offer(status=OfferStatus.EXPIRED)
    withdrawn = offer(status=OfferStatus.WITHDRAWN)
    for view, words in (
        (confirmed, "Confirmed: slot 2"),
        (expired, "nobody took a slot"),
        (withdrawn, "withdrawn"),
    ):
        payload = card_payload(view, NOW)
        assert payload["components"] == []
        assert words in payload["embeds"][0]["description"]
    assert "Going: <@101> <@202>" in card_payload(confirmed, NOW)["embeds"][0]["description"]
    expired_enough = offer(status=OfferStatus.EXPIRED, mode=OfferMode.ENOUGH, min_people=3)
    assert (
        "no slot got enough people" in card_payload(expired_enough, NOW)["embeds"][0]["description"]
    )


def test_a_direct_offer_names_its_targets() -> None:
    text = card_payload(offer(targets=(ANN, BEN)), NOW)["embeds"][0]["description"]
    assert "<@101> offers to <@202> <@303> only" in text


def test_the_confirmation_pings_everyone_going_and_tells_the_others_which_slot_won() -> None:
    view = offer(
        mode=OfferMode.ENOUGH,
        min_people=None,
        max_people=None,
        status=OfferStatus.CONFIRMED,
        confirmed_position=1,
        series_id=5,
        repeat_text="every week",
        slots=slots((Taker(ANN, "Ann"), Taker(BEN, "Ben")), (Taker(CAT, "Cat"),)),
    )
    text = confirmed_text(view)
    stamp = int((NOW + timedelta(hours=2)).timestamp())
    assert text.startswith("✅ <@101> <@202> <@303>: **Thesis \\*writing\\*** is on, slot 1")
    assert f"<t:{stamp}:F>" in text and f"<t:{stamp}:R>" in text
    assert "<@404>: slot 1 won" in text
    assert "Repeats every week" in text
    payload = confirmed_payload(view)
    assert payload["allowed_mentions"] == {
        "parse": [],
        "users": [str(u) for u in (OFFERER, ANN, BEN, CAT)],
    }


def test_the_list_stays_within_one_message() -> None:
    assert "No open offers" in offer_list_text([])
    many = [offer(id=i, title="x" * 100) for i in range(200)]
    text = offer_list_text(many)
    assert len(text) <= limits.CONTENT
    assert re.search(r"… and \d+ more\.$", text)
    assert "(#0)" in text
