"""Who is asking: one Actor for every area, filled in by the cog from the interaction."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Actor"]


@dataclass(frozen=True)
class Actor:
    """The member behind a command or a click, where they are and what they may manage.

    ``manage_guild`` is Discord's Manage Server permission (or Administrator), resolved for the
    channel of the interaction; ``role_ids`` are the member's roles, so a server's manager role
    can be checked without asking Discord again.
    """

    user_id: int
    guild_id: int = 0
    channel_id: int = 0
    display_name: str = ""
    manage_guild: bool = False
    role_ids: frozenset[int] = frozenset()

    def may_manage(self, manager_role_id: int | None) -> bool:
        """Manage Server, or the server's sprint/goal manager role when it has one."""
        return self.manage_guild or (
            manager_role_id is not None and manager_role_id in self.role_ids
        )
