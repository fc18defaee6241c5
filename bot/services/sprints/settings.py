"""A server's /sprint settings: bounds, defaults with the bot-wide fallbacks, and the plan a
start request asks for."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import PermissionDenied, ValidationError
from bot.domain.sprint import PRESETS, Bounds, SprintPlan
from bot.services.actor import Actor
from bot.services.context import ServiceContext
from bot.services.sprints.types import SprintDefaults, StartRequest
from bot.settings import SprintSettings
from db.models import GuildSettings
from db.repositories import guild_settings

__all__ = [
    "SettingsChange",
    "SettingsUseCases",
    "apply_change",
    "bounds",
    "defaults_of",
    "flag",
    "pick",
    "plan_for",
]

_PLAN_COLUMNS = (
    ("work", "work_min"),
    ("brk", "break_min"),
    ("rounds", "rounds"),
    ("long_break", "long_break_min"),
    ("long_break_every", "long_break_every"),
    ("intro", "intro_min"),
)


def flag(value: bool | None) -> bool:
    """A server switch that was never set counts as on."""
    return True if value is None else bool(value)


def pick(value: int | None, fallback: int) -> int:
    return fallback if value is None else value


def bounds(sp: SprintSettings) -> Bounds:
    """What a plan may ask for: the bot's own limits, narrowed by the operator's config."""
    return Bounds(
        work=(1, min(180, sp.max_work)),
        brk=(1, min(60, sp.max_break)),
        rounds=(1, min(12, sp.max_rounds)),
        intro=(0, min(15, sp.max_intro)),
        long_break_every=(1, 12),
    )


def defaults_of(gs: GuildSettings, sp: SprintSettings) -> SprintDefaults:
    pairs = {
        "work": (gs.work_min, sp.work),
        "brk": (gs.break_min, sp.short_break),
        "rounds": (gs.rounds, sp.rounds),
        "long_break": (gs.long_break_min, sp.long_break),
        "long_break_every": (gs.long_break_every, sp.long_break_every),
        "intro": (gs.intro_min, sp.intro),
    }
    values = {k: (own if own is not None else fallback) for k, (own, fallback) in pairs.items()}
    return SprintDefaults(
        **values,
        manager_role_id=gs.manager_role_id,
        ping_on_phase=flag(gs.ping_on_phase),
        auto_join_voice=flag(gs.auto_join_voice),
        chime=flag(gs.chime),
        voice_chat=bool(gs.voice_chat),
        customised=frozenset(k for k, (own, _) in pairs.items() if own is not None),
    )


def plan_for(req: StartRequest, defaults: SprintDefaults) -> SprintPlan:
    """The plan a start asks for: a preset or the server's defaults, with its own overrides."""
    if req.preset is not None:
        if req.preset not in PRESETS:
            names = ", ".join(PRESETS)
            raise ValidationError(f"Unknown preset “{req.preset}”. Pick one of: {names}.")
        base = PRESETS[req.preset]
    else:
        base = defaults.plan()
    return SprintPlan(
        work_min=pick(req.work, base.work_min),
        break_min=pick(req.brk, base.break_min),
        rounds=pick(req.rounds, base.rounds),
        long_break_min=pick(req.long_break, base.long_break_min),
        long_break_every=pick(req.long_break_every, base.long_break_every),
        intro_min=pick(req.intro, base.intro_min),
    )


@dataclass(frozen=True)
class SettingsChange:
    """What /sprint settings asked to change (None: leave as it is)."""

    work: int | None = None
    brk: int | None = None
    rounds: int | None = None
    long_break: int | None = None
    long_break_every: int | None = None
    intro: int | None = None
    manager_role_id: int | None = None
    clear_manager_role: bool = False
    ping_on_phase: bool | None = None
    auto_join_voice: bool | None = None
    chime: bool | None = None
    voice_chat: bool | None = None
    reset_defaults: bool = False


def apply_change(gs: GuildSettings, change: SettingsChange, sp: SprintSettings) -> None:
    """Write ``change`` onto the server's settings row, refusing a plan outside the bounds."""
    if change.reset_defaults:
        for _, column in _PLAN_COLUMNS:
            setattr(gs, column, None)
    current = defaults_of(gs, sp)
    merged = SprintPlan(
        work_min=pick(change.work, current.work),
        break_min=pick(change.brk, current.brk),
        rounds=pick(change.rounds, current.rounds),
        long_break_min=pick(change.long_break, current.long_break),
        long_break_every=pick(change.long_break_every, current.long_break_every),
        intro_min=pick(change.intro, current.intro),
    )
    merged.validate(bounds(sp))
    for field_name, column in _PLAN_COLUMNS:
        value = getattr(change, field_name)
        if value is not None:
            setattr(gs, column, value)
    if change.clear_manager_role:
        gs.manager_role_id = None
    elif change.manager_role_id is not None:
        if change.manager_role_id == gs.guild_id:
            raise ValidationError(
                "@everyone can't be the manager role; pick a role only some members have."
            )
        gs.manager_role_id = change.manager_role_id
    if change.ping_on_phase is not None:
        gs.ping_on_phase = change.ping_on_phase
    if change.auto_join_voice is not None:
        gs.auto_join_voice = change.auto_join_voice
    if change.chime is not None:
        gs.chime = change.chime
    if change.voice_chat is not None:
        gs.voice_chat = change.voice_chat


class SettingsUseCases:
    """The /sprint settings use cases (a part of :class:`SprintService`)."""

    ctx: ServiceContext

    def bounds(self) -> Bounds:
        return bounds(self.ctx.settings.sprint)

    def _defaults(self, gs: GuildSettings) -> SprintDefaults:
        return defaults_of(gs, self.ctx.settings.sprint)

    async def guild_defaults(self, guild_id: int) -> SprintDefaults:
        async with self.ctx.db.transaction() as session:
            return self._defaults(await guild_settings(session, guild_id))

    async def update_settings(
        self,
        guild_id: int,
        actor: Actor,
        *,
        work: int | None = None,
        brk: int | None = None,
        rounds: int | None = None,
        long_break: int | None = None,
        long_break_every: int | None = None,
        intro: int | None = None,
        manager_role_id: int | None = None,
        clear_manager_role: bool = False,
        ping_on_phase: bool | None = None,
        auto_join_voice: bool | None = None,
        chime: bool | None = None,
        voice_chat: bool | None = None,
        reset_defaults: bool = False,
    ) -> SprintDefaults:
        """Change the server's /sprint settings (Manage Server or the manager role)."""
        change = SettingsChange(
            work=work,
            brk=brk,
            rounds=rounds,
            long_break=long_break,
            long_break_every=long_break_every,
            intro=intro,
            manager_role_id=manager_role_id,
            clear_manager_role=clear_manager_role,
            ping_on_phase=ping_on_phase,
            auto_join_voice=auto_join_voice,
            chime=chime,
            voice_chat=voice_chat,
            reset_defaults=reset_defaults,
        )
        async with self.ctx.db.transaction() as session:
            gs = await guild_settings(session, guild_id)
            if not actor.may_manage(gs.manager_role_id):
                raise PermissionDenied(
                    "Only members with the Manage Server permission"
                    + (f" or the <@&{gs.manager_role_id}> role" if gs.manager_role_id else "")
                    + " can change the sprint settings."
                )
            apply_change(gs, change, self.ctx.settings.sprint)
            await session.flush()
            return self._defaults(gs)
