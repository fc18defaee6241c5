"""Sprint messages as Discord JSON (plain dicts): the status card, announcements, replies.

Pure functions of the data they are given; no discord import. User text (titles, names) is
escaped here and never pings: every payload that mentions carries explicit ``allowed_mentions``.
One module per kind of message: :mod:`.card` (the status card), :mod:`.announcements` (phase
changes, the end, the voice status), :mod:`.replies` (answers to commands and clicks, history,
settings); :mod:`.common` holds the pieces they share.
"""

from bot.render.sprint.announcements import (
    ended_line,
    finished_line,
    phase_line,
    voice_status_text,
)
from bot.render.sprint.card import LIVE_PAGE_LABEL, card_components, card_embed, card_payload
from bot.render.sprint.common import (
    clip_content,
    escape_title,
    fmt_duration,
    phase_phrase,
    phase_title,
    plan_summary,
    schedule_times,
)
from bot.render.sprint.replies import (
    already_moved_on,
    extend_refusal,
    history_embed,
    join_reply,
    leave_reply,
    settings_embed,
    skip_reply,
    start_reply,
    status_text,
)
from bot.render.wire import ts

__all__ = [
    "LIVE_PAGE_LABEL",
    "already_moved_on",
    "card_components",
    "card_embed",
    "card_payload",
    "clip_content",
    "ended_line",
    "escape_title",
    "extend_refusal",
    "finished_line",
    "fmt_duration",
    "history_embed",
    "join_reply",
    "leave_reply",
    "phase_line",
    "phase_phrase",
    "phase_title",
    "plan_summary",
    "schedule_times",
    "settings_embed",
    "skip_reply",
    "start_reply",
    "status_text",
    "ts",
    "voice_status_text",
]
