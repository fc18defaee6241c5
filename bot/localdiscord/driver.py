"""The test driver: members use slash commands, buttons, modals, autocomplete and voice.

Interactions are built the way a Discord client builds them (from the commands the bot synced,
from the components on a stored message, from the modal the bot opened) and dispatched as
INTERACTION_CREATE on the shard that owns the guild. Results are awaited from the server's state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .commands import CommandRejected, invoke
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    DEFERRED_MESSAGE,
    DEFERRED_UPDATE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    InteractionState,
)
from .models import Channel, Member, Message, ScheduledEvent, walk_components
from .render import render_message, render_transcript
from .world import World

if TYPE_CHECKING:
    from .server import LocalDiscord

JSON = dict[str, Any]
MessagePredicate = Callable[[Message], bool] | str | None

__all__ = ["CommandRejected", "Driver", "InteractionFailed", "InteractionResult"]


class InteractionFailed(AssertionError):
    """The bot did not answer an interaction the way the test expected."""


class InteractionResult:
    """A dispatched interaction; await what the bot made of it."""

    def __init__(self, driver: Driver, state: InteractionState) -> None:
        self._driver = driver
        self.state = state

    @property
    def id(self) -> int:
        return self.state.id

    @property
    def payload(self) -> JSON:
        """The INTERACTION_CREATE data that was dispatched."""
        return self.state.payload

    @property
    def response_type(self) -> int | None:
        return self.state.response_type

    @property
    def deferred(self) -> bool:
        return self.state.response_type in (DEFERRED_MESSAGE, DEFERRED_UPDATE)

    @property
    def ephemeral(self) -> bool:
        original = self._driver.world.messages.get(self.state.original_id or 0)
        return bool(original and original.ephemeral)

    async def response(self, timeout: float = 5.0) -> int:  # noqa: ASYNC109
        """Wait for the first callback; return its type (4 message, 5 defer, 9 modal...)."""
        limit = min(timeout, self._driver.server.config.interaction_deadline + 0.5)
        try:
            await asyncio.wait_for(self.state.responded.wait(), limit)
        except TimeoutError:
            raise InteractionFailed(
                f"the bot did not respond to interaction {self.state.id} "
                f"({self.state.command_name or self.state.payload['data'].get('custom_id')}) "
                f"within {limit:.1f}s; Discord would show 'The application did not respond'"
            ) from None
        assert self.state.response_type is not None
        return self.state.response_type

    async def message(self, timeout: float = 5.0) -> Message:  # noqa: ASYNC109
        """The response message once it has content (after a defer: the first followup)."""
        deadline = time.monotonic() + timeout
        await self.response(timeout)
        message_id = self.state.original_id
        if message_id is None:
            raise InteractionFailed(f"response type {self.state.response_type} has no message")

        def ready(message: Message) -> bool:
            return message.id == message_id and not message.loading

        return await self._driver._wait(
            ready,
            max(deadline - time.monotonic(), 0.01),
            f"the response to interaction {self.state.id}",
        )

    async def followups(self, count: int = 1, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109
        """The first ``count`` followup messages (not counting one that filled a defer)."""
        deadline = time.monotonic() + timeout
        await self.response(timeout)
        ids, added = self.state.followup_ids, self.state.followup_added
        while True:
            added.clear()  # listen first, then look: a followup recorded from now on sets it
            if len(ids) >= count:
                break
            try:
                await asyncio.wait_for(added.wait(), max(deadline - time.monotonic(), 0.01))
            except TimeoutError:
                raise InteractionFailed(
                    f"timed out after {timeout}s waiting for {count} followup(s) of interaction "
                    f"{self.state.id} ({len(ids)} came)"
                ) from None
        world = self._driver.world
        return [world.messages[i] for i in ids[:count] if i in world.messages]

    async def modal(self, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """The modal the bot opened (callback type 9)."""
        kind = await self.response(timeout)
        if kind != MODAL or self.state.modal is None:
            raise InteractionFailed(f"expected a modal, the bot answered with type {kind}")
        return self.state.modal

    async def choices(self, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109
        await self.response(timeout)
        return self.state.choices or []


class Driver:
    """Acts as guild members against a :class:`LocalDiscord` the bot is connected to.

    ``member`` arguments take a :class:`Member` (``guild.member("alice")``); ``channel`` a
    :class:`Channel` or a channel name, looked up in the member's guild.
    """

    def __init__(self, server: LocalDiscord) -> None:
        self.server = server

    @property
    def world(self) -> World:
        return self.server.world

    # -- interactions ------------------------------------------------------------------------

    async def slash(
        self, member: Member, channel: Channel | str, command: str, /, **options: Any
    ) -> InteractionResult:
        """Run ``/command`` (e.g. ``"sprint start"``) with options, as ``member`` in ``channel``."""
        target = self._channel(member, channel)
        guild = self.world.guild_of(target)
        invocation = invoke(self.world, guild, member, target, command, options)
        state = self.server.core.interactions.create(
            APPLICATION_COMMAND, member, target, invocation.data, command_name=invocation.name
        )
        return self._dispatch(state)

    async def autocomplete(
        self,
        member: Member,
        channel: Channel | str,
        command: str,
        option: str,
        typed: str,
        /,
        timeout: float = 5.0,  # noqa: ASYNC109 (the driver's documented API)
        **options: Any,
    ) -> list[JSON]:
        """The choices the bot offers while ``member`` types ``typed`` into ``option``."""
        target = self._channel(member, channel)
        guild = self.world.guild_of(target)
        values = {**options, option: typed}
        invocation = invoke(self.world, guild, member, target, command, values, focused=option)
        state = self.server.core.interactions.create(
            AUTOCOMPLETE, member, target, invocation.data, command_name=invocation.name
        )
        return await self._dispatch(state).choices(timeout)

    async def click(self, member: Member, message: Message | int, button: str) -> InteractionResult:
        """Click the button labelled ``button`` (or with that custom_id) on a message."""
        stored = self._visible_message(member, message)
        component = stored.button(button)
        if component is None:
            labels = [b.get("label") or b.get("custom_id") for b in stored.buttons]
            raise CommandRejected(f"no button {button!r} on message {stored.id}; has {labels}")
        if component.get("disabled"):
            raise CommandRejected(f"button {button!r} is disabled")
        if "custom_id" not in component:
            raise CommandRejected(f"button {button!r} is a link button")
        data = {"custom_id": component["custom_id"], "component_type": 2}
        return self._component(member, stored, data)

    async def select(
        self, member: Member, message: Message | int, select: str, values: list[str]
    ) -> InteractionResult:
        """Choose ``values`` in the select menu with that custom_id or placeholder."""
        stored = self._visible_message(member, message)
        for component in stored.walk_components():
            if component.get("type") in (3, 5, 6, 7, 8) and select in (
                component.get("custom_id"),
                component.get("placeholder"),
            ):
                break
        else:
            raise CommandRejected(f"no select menu {select!r} on message {stored.id}")
        _check_select_values(component, values)
        data = {
            "custom_id": component["custom_id"],
            "component_type": component["type"],
            "values": values,
        }
        return self._component(member, stored, data)

    async def submit_modal(
        self, member: Member, opened: InteractionResult, values: Mapping[str, str]
    ) -> InteractionResult:
        """Fill in and submit the modal ``opened`` showed; keys are labels or custom_ids."""
        modal = await opened.modal()
        if opened.state.member.id != member.id:
            raise CommandRejected("only the member who opened a modal can submit it")
        components = _fill_modal(modal, dict(values))
        data = {"custom_id": modal["custom_id"], "components": components}
        source = self.world.messages.get(opened.state.message_id or 0)
        state = self.server.core.interactions.create(
            MODAL_SUBMIT,
            member,
            opened.state.channel,
            data,
            message=source,
            triggering=opened.state,
        )
        return self._dispatch(state)

    def _component(self, member: Member, message: Message, data: JSON) -> InteractionResult:
        channel = self.world.channel(message.channel_id)
        state = self.server.core.interactions.create(
            MESSAGE_COMPONENT, member, channel, data, message=message
        )
        return self._dispatch(state)

    def _dispatch(self, state: InteractionState) -> InteractionResult:
        guild_id = state.channel.guild_id
        if not self.server.gateway.has_session_for(guild_id):
            raise RuntimeError("no gateway session for this guild's shard: is the bot connected?")
        self.world.emit("INTERACTION_CREATE", state.payload, guild_id)
        return InteractionResult(self, state)

    # -- members acting without the bot ----------------------------------------------------

    async def send_message(
        self, member: Member, channel: Channel | str, content: str, **fields: Any
    ) -> Message:
        """Post a message as ``member`` (the bot sees MESSAGE_CREATE)."""
        target = self._channel(member, channel)
        return self.world.post_message(target, member.user, content=content, **fields)

    def voice_join(self, member: Member, channel: Channel | str) -> None:
        target = self._channel(member, channel)
        self.world.voice_join(member, target)

    def voice_leave(self, member: Member) -> None:
        self.world.voice_leave(member)

    def event_interested(self, member: Member, event: ScheduledEvent | int) -> bool:
        """``member`` clicks "Interested" on a scheduled event (GUILD_SCHEDULED_EVENT_USER_ADD).

        Returns False if they already were; raises :class:`CommandRejected` for an event of
        another guild or one that has finished (Discord shows no button then).
        """
        return self.world.set_interested(self._event(member, event), member, True)

    def event_uninterested(self, member: Member, event: ScheduledEvent | int) -> bool:
        """``member`` un-clicks "Interested" (GUILD_SCHEDULED_EVENT_USER_REMOVE)."""
        return self.world.set_interested(self._event(member, event), member, False)

    def _event(self, member: Member, event: ScheduledEvent | int) -> ScheduledEvent:
        event_id = event if isinstance(event, int) else event.id
        found = self.world.guilds[member.guild_id].scheduled_events.get(event_id)
        if found is None:
            raise CommandRejected(f"no scheduled event {event_id} in {member.name}'s guild")
        if found.status not in (1, 2):
            raise CommandRejected(
                f"scheduled event {event_id} has finished (status {found.status})"
            )
        return found

    # -- observing ---------------------------------------------------------------------------

    def transcript(self, channel: Channel, *, viewer: Member | None = None) -> list[Message]:
        """Messages in ``channel`` oldest first, as ``viewer`` sees them (no viewer: public)."""
        return channel.history(viewer.id if viewer else None)

    def render(self, channel: Channel, *, viewer: Member | None = None) -> str:
        return render_transcript(self.transcript(channel, viewer=viewer), self.world)

    async def wait_for_message(
        self,
        channel: Channel,
        predicate: MessagePredicate = None,
        *,
        user: Member | None = None,
        after: Message | int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 (the driver's documented API)
    ) -> Message:
        """The first message in ``channel`` (already there or arriving) that matches.

        ``predicate`` is a callable or a substring of the rendered message (embeds included).
        ``user`` also lets that member's ephemeral messages match; ``after`` skips older
        messages. Messages still "thinking" never match; edits are re-checked.
        """
        viewer = user.id if user else None
        cutoff = after if isinstance(after, int) else (after.id if after else 0)
        test = _as_test(predicate, self.world)

        def matches(message: Message) -> bool:
            return (
                message.channel_id == channel.id
                and message.id > cutoff
                and message.visible_to(viewer)
                and not message.loading
                and test(message)
            )

        try:
            return await self._wait(matches, timeout, "a matching message")
        except InteractionFailed:
            rendered = render_transcript(channel.history(viewer), self.world)
            raise InteractionFailed(
                f"no message matching {predicate!r} in #{channel.name} within {timeout}s; "
                f"transcript:\n{rendered}"
            ) from None

    async def _wait(self, matches: Callable[[Message], bool], within: float, what: str) -> Message:
        for message in list(self.world.messages.values()):
            if matches(message):
                return message
        found: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

        def observe(kind: str, message: Message) -> None:
            if kind == "delete" or found.done():
                return
            try:
                if matches(message):
                    found.set_result(message)
            except Exception as exc:
                found.set_exception(exc)

        self.world.observers.append(observe)
        try:
            return await asyncio.wait_for(found, within)
        except TimeoutError:
            raise InteractionFailed(f"timed out after {within}s waiting for {what}") from None
        finally:
            self.world.observers.remove(observe)

    # -- lookups -----------------------------------------------------------------------------

    def _channel(self, member: Member, channel: Channel | str) -> Channel:
        if isinstance(channel, Channel):
            return channel
        return self.world.guilds[member.guild_id].channel(channel)

    def _visible_message(self, member: Member, message: Message | int) -> Message:
        message_id = message if isinstance(message, int) else message.id
        stored = self.world.messages.get(message_id)
        if stored is None or not stored.visible_to(member.id):
            raise CommandRejected(f"{member.name} cannot see message {message_id}")
        return stored


def _as_test(predicate: MessagePredicate, world: World) -> Callable[[Message], bool]:
    if predicate is None:
        return lambda message: True
    if isinstance(predicate, str):
        needle = predicate
        return lambda message: needle in render_message(message, world)
    return predicate


def _check_select_values(component: JSON, values: list[str]) -> None:
    low, high = component.get("min_values", 1), component.get("max_values", 1)
    if not low <= len(values) <= high:
        raise CommandRejected(f"choose between {low} and {high} values")
    if component["type"] == 3:
        allowed = {o["value"] for o in component.get("options", [])}
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise CommandRejected(f"{unknown} are not options of {component['custom_id']!r}")


def _fill_modal(modal: JSON, values: dict[str, str]) -> list[JSON]:
    """The submitted component tree for a modal, checking required fields and lengths."""
    submitted = []
    for top in modal["components"]:
        if top.get("type") == 1:
            inner = [_fill_input(c, None, values) for c in top.get("components", [])]
            submitted.append({"type": 1, "id": top.get("id"), "components": inner})
        elif top.get("type") == 18:
            child = _fill_input(top["component"], top.get("label"), values)
            submitted.append({"type": 18, "id": top.get("id"), "component": child})
    if values:
        fields = [
            c.get("label") or c.get("custom_id") for c in walk_components(modal["components"])
        ]
        raise CommandRejected(f"modal has no field(s) {list(values)}; fields: {fields}")
    return submitted


def _fill_input(component: JSON, label: str | None, values: dict[str, str]) -> JSON:
    custom_id = component.get("custom_id")
    keys = [k for k in (custom_id, component.get("label"), label) if k]
    given = next((values.pop(k) for k in keys if k in values), None)
    if component.get("type") != 4:
        chosen = [given] if isinstance(given, str) else list(given or [])
        return {
            "type": component.get("type"),
            "id": component.get("id"),
            "custom_id": custom_id,
            "values": chosen,
        }
    value = given if given is not None else component.get("value") or ""
    if component.get("required", True) and not value:
        raise CommandRejected(f"modal field {keys[0]!r} is required")
    low, high = component.get("min_length", 0), component.get("max_length", 4000)
    if value and not low <= len(value) <= high:
        raise CommandRejected(f"modal field {keys[0]!r} must be {low}-{high} characters")
    return {"type": 4, "id": component.get("id"), "custom_id": custom_id, "value": value}
