"""The reply boundary (bot/ui.py): quotes of typed input are cut, replies fit Discord's limits."""

from __future__ import annotations

import discord

from bot.ui import QUOTE_MAX, clip_quotes, fit_content, fit_embed, typed_values


def test_typed_values_are_found_in_nested_options_and_form_fields() -> None:
    data = {
        "options": [{"name": "setup", "type": 1, "options": [{"name": "day", "value": "Mon"}]}],
        "components": [{"type": 18, "component": {"custom_id": "note", "value": "hello"}}],
    }
    assert typed_values(data) == ["Mon", "hello"]


def test_a_long_quote_of_typed_input_is_cut_to_about_a_hundred_characters() -> None:
    typed = "  " + "z" * 2001
    text = f"Unknown day '{typed.strip()}'. Use a weekday name like Monday or Mon."
    clipped = clip_quotes(text, [typed])
    assert clipped == f"Unknown day '{'z' * QUOTE_MAX}…'. Use a weekday name like Monday or Mon."


def test_a_partial_quote_is_cut_and_a_code_block_that_gives_the_text_back_is_kept() -> None:
    typed = "y" * 3000
    text = f"Too long: {typed[:1500]}.\nWhat you wrote:\n```\n{typed[:1500]}\n```"
    clipped = clip_quotes(text, [typed])
    assert clipped.startswith(f"Too long: {'y' * QUOTE_MAX}….\n")
    assert f"```\n{typed[:1500]}\n```" in clipped


def test_short_values_and_content_within_the_limit_are_left_alone() -> None:
    assert clip_quotes("Unknown day 'Funday'.", ["Funday"]) == "Unknown day 'Funday'."
    assert fit_content("a" * 2000) == "a" * 2000
    assert fit_content("a" * 2001) == "a" * 1999 + "…"


def test_an_embed_is_cut_to_discords_limits() -> None:
    embed = discord.Embed(title="t" * 300, description="d" * 5000)
    for _ in range(30):
        embed.add_field(name="n" * 300, value="v" * 2000)
    embed.set_footer(text="f" * 3000)
    fitted = fit_embed(embed)
    assert len(fitted.title or "") <= 256 and len(fitted.description or "") <= 4096
    assert len(fitted.fields) <= 25
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in fitted.fields)
    assert len(fitted) <= 6000
