"""Discord identifiers the bot mints: component custom ids, built and parsed side by side.

A custom id is at most 100 characters and survives restarts, so every id names what it acts on
(a sprint id, an action) and is parsed back here, next to the builder that wrote it. The cogs
register ``discord.ui.DynamicItem`` classes with the ``*_TEMPLATE`` patterns below; render calls
the builders. No discord import: this module is plain strings. Every id the bot mints is here,
and tests/test_ids.py reads each one back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

__all__ = [
    "CARRY_TARGETS",
    "CARRY_TEMPLATE",
    "CHECKIN_ACTIONS",
    "CHECKIN_NOTE_FORM_TEMPLATE",
    "CHECKIN_TEMPLATE",
    "CONFIRM_ACTIONS",
    "DEBRIEF_ACTIONS",
    "DEBRIEF_NOTE_FORM_TEMPLATE",
    "DEBRIEF_TEMPLATE",
    "DELETE_SERVER_TEMPLATE",
    "FORGET_TEMPLATE",
    "GOAL_ADD_TEMPLATE",
    "GOAL_FORM_SCOPES",
    "GOAL_FORM_TEMPLATE",
    "GOAL_PICK_TEMPLATE",
    "HUDDLE_TEMPLATE",
    "OFFER_DRAFT_TEMPLATE",
    "OFFER_TAKE_TEMPLATE",
    "OFFER_WITHDRAW_TEMPLATE",
    "POD_ACTIONS",
    "POD_BUTTON_TEMPLATE",
    "POD_PAUSE_ACTIONS",
    "POD_PAUSE_TEMPLATE",
    "POD_WEEKLY_TEMPLATE",
    "SESSION_ACTIONS",
    "SESSION_BUTTON_TEMPLATE",
    "SPRINT_BUTTON_TEMPLATE",
    "WEEK_GOALS_FORM_TEMPLATE",
    "WEEK_NOTE_FORM_TEMPLATE",
    "CheckInId",
    "SessionButtonId",
    "SprintAction",
    "SprintButtonId",
    "WeekAction",
    "carry_id",
    "checkin_id",
    "checkin_note_form_id",
    "debrief_id",
    "debrief_note_form_id",
    "delete_server_id",
    "forget_id",
    "goal_add_id",
    "goal_form_id",
    "goal_pick_id",
    "huddle_id",
    "offer_draft_id",
    "offer_take_id",
    "offer_withdraw_id",
    "parse_carry_id",
    "parse_checkin_id",
    "parse_checkin_note_form_id",
    "parse_debrief_id",
    "parse_debrief_note_form_id",
    "parse_delete_server_id",
    "parse_forget_id",
    "parse_goal_add_id",
    "parse_goal_form_id",
    "parse_goal_pick_id",
    "parse_huddle_id",
    "parse_offer_draft_id",
    "parse_offer_take_id",
    "parse_offer_withdraw_id",
    "parse_pod_button_id",
    "parse_pod_pause_id",
    "parse_pod_weekly_id",
    "parse_session_button_id",
    "parse_sprint_button_id",
    "parse_week_component_id",
    "parse_week_goals_form_id",
    "parse_week_note_form_id",
    "pod_button_id",
    "pod_pause_id",
    "pod_weekly_id",
    "session_button_id",
    "sprint_button_id",
    "week_component_id",
    "week_component_template",
    "week_goals_form_id",
    "week_note_form_id",
]


class SprintAction(StrEnum):
    """What a sprint card button or a /sprint control does."""

    JOIN = "join"
    LEAVE = "leave"
    PAUSE = "pause"
    RESUME = "resume"
    SKIP = "skip"
    EXTEND = "extend"
    STOP = "stop"


# The actions a card button can carry (extend and stop are slash commands only).
_CARD_ACTIONS = (
    SprintAction.JOIN,
    SprintAction.LEAVE,
    SprintAction.PAUSE,
    SprintAction.RESUME,
    SprintAction.SKIP,
)

# ``sprint:{id}:{action}`` and, for controls, ``sprint:{id}:{action}:{mark}``: the control mark of
# the state the card showed, so a second, stale click changes nothing.
SPRINT_BUTTON_TEMPLATE = (
    r"sprint:(?P<id>\d+):(?P<action>" + "|".join(_CARD_ACTIONS) + r")(?::(?P<mark>\d+))?"
)
_SPRINT_BUTTON = re.compile(SPRINT_BUTTON_TEMPLATE)


@dataclass(frozen=True)
class SprintButtonId:
    sprint_id: int
    action: SprintAction
    mark: int | None = None  # None: a card posted before buttons carried the state


def sprint_button_id(sprint_id: int, action: SprintAction, mark: int | None = None) -> str:
    base = f"sprint:{int(sprint_id)}:{action.value}"
    return base if mark is None else f"{base}:{int(mark)}"


def parse_sprint_button_id(custom_id: str) -> SprintButtonId | None:
    found = _SPRINT_BUTTON.fullmatch(custom_id)
    if found is None:
        return None
    mark = found["mark"]
    return SprintButtonId(
        int(found["id"]), SprintAction(found["action"]), None if mark is None else int(mark)
    )


# The late joiner's "Add my goal" button (posted by the sprint cog, handled by the goals cog).
GOAL_ADD_TEMPLATE = r"goal:add:(?P<sid>\d+)"
_GOAL_ADD = re.compile(GOAL_ADD_TEMPLATE)


def goal_add_id(sprint_id: int) -> str:
    return f"goal:add:{int(sprint_id)}"


def parse_goal_add_id(custom_id: str) -> int | None:
    found = _GOAL_ADD.fullmatch(custom_id)
    return None if found is None else int(found["sid"])


def _alts(name: str, values: tuple[str, ...]) -> str:
    return f"(?P<{name}>" + "|".join(values) + ")"


# -- goals, check-ins and the debrief (cogs/_goal_views.py and its siblings) ------------

CHECKIN_ACTIONS = ("done", "progress", "stuck", "note")

# ``checkin:{sprint}:{round}:{action}``: the buttons under a break's check-in prompt.
CHECKIN_TEMPLATE = r"checkin:(?P<sid>\d+):(?P<round>\d+):" + _alts("action", CHECKIN_ACTIONS)
_CHECKIN = re.compile(CHECKIN_TEMPLATE)


@dataclass(frozen=True)
class CheckInId:
    sprint_id: int
    round: int
    action: str


def checkin_id(sprint_id: int, round_: int, action: str) -> str:
    return f"checkin:{int(sprint_id)}:{int(round_)}:{action}"


def parse_checkin_id(custom_id: str) -> CheckInId | None:
    found = _CHECKIN.fullmatch(custom_id)
    if found is None:
        return None
    return CheckInId(int(found["sid"]), int(found["round"]), found["action"])


# ``huddle:{sprint}:{round}``: "Open a huddle" after a Stuck check-in.
HUDDLE_TEMPLATE = r"huddle:(?P<sid>\d+):(?P<round>\d+)"
_HUDDLE = re.compile(HUDDLE_TEMPLATE)


def huddle_id(sprint_id: int, round_: int) -> str:
    return f"huddle:{int(sprint_id)}:{int(round_)}"


def parse_huddle_id(custom_id: str) -> tuple[int, int] | None:
    """(sprint id, round)."""
    found = _HUDDLE.fullmatch(custom_id)
    return None if found is None else (int(found["sid"]), int(found["round"]))


DEBRIEF_ACTIONS = ("note", "carry")

# ``debrief:{sprint}:{action}``: the two buttons under the end-of-sprint debrief.
DEBRIEF_TEMPLATE = r"debrief:(?P<sid>\d+):" + _alts("action", DEBRIEF_ACTIONS)
_DEBRIEF = re.compile(DEBRIEF_TEMPLATE)


def debrief_id(sprint_id: int, action: str) -> str:
    return f"debrief:{int(sprint_id)}:{action}"


def parse_debrief_id(custom_id: str) -> tuple[int, str] | None:
    """(sprint id, action)."""
    found = _DEBRIEF.fullmatch(custom_id)
    return None if found is None else (int(found["sid"]), found["action"])


CARRY_TARGETS = ("sprint", "week")

# ``carry:{sprint}:{to}``: where the debrief's "Carry my open goals" sends them.
CARRY_TEMPLATE = r"carry:(?P<sid>\d+):" + _alts("to", CARRY_TARGETS)
_CARRY = re.compile(CARRY_TEMPLATE)


def carry_id(sprint_id: int, to: str) -> str:
    return f"carry:{int(sprint_id)}:{to}"


def parse_carry_id(custom_id: str) -> tuple[int, str] | None:
    """(sprint id, target scope)."""
    found = _CARRY.fullmatch(custom_id)
    return None if found is None else (int(found["sid"]), found["to"])


# ``goalpick:{action}:{user}``: the select /done shows when several goals are open.
GOAL_PICK_TEMPLATE = r"goalpick:(?P<action>done):(?P<uid>\d+)"
_GOAL_PICK = re.compile(GOAL_PICK_TEMPLATE)


def goal_pick_id(action: str, user_id: int) -> str:
    return f"goalpick:{action}:{int(user_id)}"


def parse_goal_pick_id(custom_id: str) -> tuple[str, int] | None:
    """(action, user id)."""
    found = _GOAL_PICK.fullmatch(custom_id)
    return None if found is None else (found["action"], int(found["uid"]))


GOAL_FORM_SCOPES = ("auto", "sprint", "week")

# Forms (modals) are matched by these on submit, so a form sent before a restart is still saved.
# ``goalmodal:{sprint or 0}:{scope}``: the several-goals form.
GOAL_FORM_TEMPLATE = r"goalmodal:(?P<sid>\d+):" + _alts("scope", GOAL_FORM_SCOPES)
_GOAL_FORM = re.compile(GOAL_FORM_TEMPLATE)


def goal_form_id(sprint_id: int | None, scope: str) -> str:
    return f"goalmodal:{int(sprint_id or 0)}:{scope}"


def parse_goal_form_id(custom_id: str) -> tuple[int, str] | None:
    """(sprint id, 0 for none; scope key)."""
    found = _GOAL_FORM.fullmatch(custom_id)
    return None if found is None else (int(found["sid"]), found["scope"])


# ``cinote:{sprint}:{round}``: the check-in note form.
CHECKIN_NOTE_FORM_TEMPLATE = r"cinote:(?P<sid>\d+):(?P<round>\d+)"
_CHECKIN_NOTE_FORM = re.compile(CHECKIN_NOTE_FORM_TEMPLATE)


def checkin_note_form_id(sprint_id: int, round_: int) -> str:
    return f"cinote:{int(sprint_id)}:{int(round_)}"


def parse_checkin_note_form_id(custom_id: str) -> tuple[int, int] | None:
    """(sprint id, round)."""
    found = _CHECKIN_NOTE_FORM.fullmatch(custom_id)
    return None if found is None else (int(found["sid"]), int(found["round"]))


# ``dbnote:{sprint}``: the debrief note form.
DEBRIEF_NOTE_FORM_TEMPLATE = r"dbnote:(?P<sid>\d+)"
_DEBRIEF_NOTE_FORM = re.compile(DEBRIEF_NOTE_FORM_TEMPLATE)


def debrief_note_form_id(sprint_id: int) -> str:
    return f"dbnote:{int(sprint_id)}"


def parse_debrief_note_form_id(custom_id: str) -> int | None:
    found = _DEBRIEF_NOTE_FORM.fullmatch(custom_id)
    return None if found is None else int(found["sid"])


# -- the weekly accountability thread (cogs/_accountability_views.py) -------------------------


class WeekAction(StrEnum):
    """A component of the weekly thread: ``acc:{action}:{week}``."""

    GOALS = "goals"
    DONE = "done"
    NOTE = "note"
    CARRY = "carry"
    PICK = "pick"


def week_component_template(action: WeekAction) -> str:
    """The DynamicItem template of one weekly-thread component (the week id in group ``wid``)."""
    return rf"acc:{action.value}:(?P<wid>\d+)"


_WEEK_COMPONENT = re.compile(r"acc:" + _alts("action", tuple(WeekAction)) + r":(?P<wid>\d+)")


def week_component_id(action: WeekAction, week_id: int) -> str:
    return f"acc:{action.value}:{int(week_id)}"


def parse_week_component_id(custom_id: str) -> tuple[WeekAction, int] | None:
    """(action, week id)."""
    found = _WEEK_COMPONENT.fullmatch(custom_id)
    return None if found is None else (WeekAction(found["action"]), int(found["wid"]))


# ``accgoals:{week}`` and ``accnote:{week}``: the thread's goal and progress forms.
WEEK_GOALS_FORM_TEMPLATE = r"accgoals:(?P<wid>\d+)"
WEEK_NOTE_FORM_TEMPLATE = r"accnote:(?P<wid>\d+)"
_WEEK_GOALS_FORM = re.compile(WEEK_GOALS_FORM_TEMPLATE)
_WEEK_NOTE_FORM = re.compile(WEEK_NOTE_FORM_TEMPLATE)


def week_goals_form_id(week_id: int) -> str:
    return f"accgoals:{int(week_id)}"


def parse_week_goals_form_id(custom_id: str) -> int | None:
    found = _WEEK_GOALS_FORM.fullmatch(custom_id)
    return None if found is None else int(found["wid"])


def week_note_form_id(week_id: int) -> str:
    return f"accnote:{int(week_id)}"


def parse_week_note_form_id(custom_id: str) -> int | None:
    found = _WEEK_NOTE_FORM.fullmatch(custom_id)
    return None if found is None else int(found["wid"])


# -- pods (cogs/_pod_views.py) -----------------------------------------------------------------

POD_ACTIONS = ("met", "miss", "keep", "rotate")

# ``pod:{action}:{pod}``: We met / We didn't / Keep this pod / Rotate me next round.
POD_BUTTON_TEMPLATE = r"pod:" + _alts("action", POD_ACTIONS) + r":(?P<pod>\d+)"
_POD_BUTTON = re.compile(POD_BUTTON_TEMPLATE)


def pod_button_id(action: str, pod_id: int) -> str:
    return f"pod:{action}:{int(pod_id)}"


def parse_pod_button_id(custom_id: str) -> tuple[str, int] | None:
    """(action, pod id)."""
    found = _POD_BUTTON.fullmatch(custom_id)
    return None if found is None else (found["action"], int(found["pod"]))


# ``podweekly:{pod}:{epoch seconds}``: make the pod's first shared free time a weekly session.
POD_WEEKLY_TEMPLATE = r"podweekly:(?P<pod>\d+):(?P<at>\d{1,12})"
_POD_WEEKLY = re.compile(POD_WEEKLY_TEMPLATE)


def pod_weekly_id(pod_id: int, at: datetime) -> str:
    return f"podweekly:{int(pod_id)}:{int(at.timestamp())}"


def parse_pod_weekly_id(custom_id: str) -> tuple[int, datetime] | None:
    """(pod id, the free time's start)."""
    found = _POD_WEEKLY.fullmatch(custom_id)
    if found is None:
        return None
    return int(found["pod"]), datetime.fromtimestamp(int(found["at"]), UTC)


POD_PAUSE_ACTIONS = ("pause", "stay")

# ``pod:{pause|stay}:{config}:{user}``: asked after two rounds without showing up.
POD_PAUSE_TEMPLATE = r"pod:" + _alts("action", POD_PAUSE_ACTIONS) + r":(?P<cfg>\d+):(?P<user>\d+)"
_POD_PAUSE = re.compile(POD_PAUSE_TEMPLATE)


def pod_pause_id(action: str, config_id: int, user_id: int) -> str:
    return f"pod:{action}:{int(config_id)}:{int(user_id)}"


def parse_pod_pause_id(custom_id: str) -> tuple[str, int, int] | None:
    """(action, pods config id, user id)."""
    found = _POD_PAUSE.fullmatch(custom_id)
    return None if found is None else (found["action"], int(found["cfg"]), int(found["user"]))


# -- privacy confirmations (cogs/privacy.py) -----------------------------------------------------

CONFIRM_ACTIONS = ("yes", "no")

# ``privacy:forget:{user}:{yes|no}`` and ``privacy:server:{guild}:{yes|no}``.
FORGET_TEMPLATE = r"privacy:forget:(?P<uid>\d+):" + _alts("action", CONFIRM_ACTIONS)
DELETE_SERVER_TEMPLATE = r"privacy:server:(?P<gid>\d+):" + _alts("action", CONFIRM_ACTIONS)
_FORGET = re.compile(FORGET_TEMPLATE)
_DELETE_SERVER = re.compile(DELETE_SERVER_TEMPLATE)


def forget_id(user_id: int, action: str) -> str:
    return f"privacy:forget:{int(user_id)}:{action}"


def parse_forget_id(custom_id: str) -> tuple[int, str] | None:
    """(user id, yes/no)."""
    found = _FORGET.fullmatch(custom_id)
    return None if found is None else (int(found["uid"]), found["action"])


def delete_server_id(guild_id: int, action: str) -> str:
    return f"privacy:server:{int(guild_id)}:{action}"


def parse_delete_server_id(custom_id: str) -> tuple[int, str] | None:
    """(guild id, yes/no)."""
    found = _DELETE_SERVER.fullmatch(custom_id)
    return None if found is None else (int(found["gid"]), found["action"])


# -- standing sessions (cogs/_session_views.py) --------------------------------------

# A session card's buttons: ``sess:{series}:{occurrence}:{action}`` (the occurrence the card
# showed, so a click on a card that has moved on answers for that occurrence, not the next).
SESSION_ACTIONS = ("going", "maybe", "cant", "skip", "cal", "accept", "here")
SESSION_BUTTON_TEMPLATE = (
    r"sess:(?P<series>\d+):(?P<occ>\d+):(?P<action>" + "|".join(SESSION_ACTIONS) + r")"
)
_SESSION_BUTTON = re.compile(SESSION_BUTTON_TEMPLATE)


@dataclass(frozen=True)
class SessionButtonId:
    series_id: int
    occurrence_id: int
    action: str


def session_button_id(series_id: int, occurrence_id: int, action: str) -> str:
    if action not in SESSION_ACTIONS:
        raise ValueError(f"unknown session action {action!r}")
    return f"sess:{int(series_id)}:{int(occurrence_id)}:{action}"


def parse_session_button_id(custom_id: str) -> SessionButtonId | None:
    found = _SESSION_BUTTON.fullmatch(custom_id)
    if found is None:
        return None
    return SessionButtonId(int(found["series"]), int(found["occ"]), found["action"])


# -- slot offers (cogs/_offer_views.py) ----------------------------------------------------------

# ``offer:take:{offer}:{slot}``: take (FIRST) or tick/un-tick (ENOUGH) slot 1–5 of an offer.
OFFER_TAKE_TEMPLATE = r"offer:take:(?P<oid>\d+):(?P<pos>[1-5])"
# ``offer:withdraw:{offer}``: the offerer (or Manage Server) closes it.
OFFER_WITHDRAW_TEMPLATE = r"offer:withdraw:(?P<oid>\d+)"
# ``offer:draft:{draft}``: /findtime's "Offer these" turns its stored draft into an open offer.
OFFER_DRAFT_TEMPLATE = r"offer:draft:(?P<did>\d+)"
_OFFER_TAKE = re.compile(OFFER_TAKE_TEMPLATE)
_OFFER_WITHDRAW = re.compile(OFFER_WITHDRAW_TEMPLATE)
_OFFER_DRAFT = re.compile(OFFER_DRAFT_TEMPLATE)


def offer_take_id(offer_id: int, position: int) -> str:
    if not 1 <= position <= 5:
        raise ValueError(f"an offer has slots 1 to 5, not {position}")
    return f"offer:take:{int(offer_id)}:{int(position)}"


def parse_offer_take_id(custom_id: str) -> tuple[int, int] | None:
    """(offer id, slot position 1–5)."""
    found = _OFFER_TAKE.fullmatch(custom_id)
    return None if found is None else (int(found["oid"]), int(found["pos"]))


def offer_withdraw_id(offer_id: int) -> str:
    return f"offer:withdraw:{int(offer_id)}"


def parse_offer_withdraw_id(custom_id: str) -> int | None:
    """The offer id."""
    found = _OFFER_WITHDRAW.fullmatch(custom_id)
    return None if found is None else int(found["oid"])


def offer_draft_id(draft_id: int) -> str:
    return f"offer:draft:{int(draft_id)}"


def parse_offer_draft_id(custom_id: str) -> int | None:
    """The draft's offer id."""
    found = _OFFER_DRAFT.fullmatch(custom_id)
    return None if found is None else int(found["did"])
