"""Interactions: the INTERACTION_CREATE payload, callbacks, followups and the original response.

Rules Discord enforces and this module copies: the first callback must come within 3 s (else
10062 Unknown interaction), only once (40060), with a callback type valid for the interaction
type; followups need an acknowledged interaction and expire with the token after 15 minutes.
A deferred (type 5) response shows a "thinking" message that the first followup or an edit of
``@original`` replaces. Ephemeral messages are stored for the invoking user only and never
broadcast.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from . import errors, payloads
from .errors import BadPayload
from .models import EPHEMERAL, LOADING, Channel, Member, Message
from .validation import MessageDraft, check_components
from .world import World

JSON = dict[str, Any]

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

MESSAGE = 4
DEFERRED_MESSAGE = 5
DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

_ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {MESSAGE, DEFERRED_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}


@dataclass(eq=False)
class InteractionState:
    id: int
    token: str
    type: int
    member: Member
    channel: Channel
    payload: JSON  # what INTERACTION_CREATE carried
    created: float = field(default_factory=time.monotonic)
    message_id: int | None = None  # the message a component sits on
    command_name: str | None = None
    triggering: InteractionState | None = None  # the interaction that opened a modal
    response_type: int | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    # Set each time a followup is recorded in ``followup_ids`` (after, not when the message is
    # posted: observers of the world run before the id is recorded). Level-triggered, so a
    # waiter that clears it and then checks ``followup_ids`` misses nothing.
    followup_added: asyncio.Event = field(default_factory=asyncio.Event)
    modal: JSON | None = None
    choices: list[JSON] | None = None
    responded: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    def metadata(self) -> JSON:
        """``interaction_metadata`` for messages this interaction creates."""
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "user": payloads.user(self.member.user),
            "authorizing_integration_owners": {"0": str(self.channel.guild_id)},
        }
        if self.command_name is not None:
            data.update(name=self.command_name, command_type=1)
        if self.message_id is not None:
            data["interacted_message_id"] = str(self.message_id)
        if self.triggering is not None:
            data["triggering_interaction_metadata"] = self.triggering.metadata()
        if self.original_id is not None:
            data["original_response_message_id"] = str(self.original_id)
        return data


class Interactions:
    def __init__(
        self, world: World, *, deadline: float, token_ttl: float, attachment_limit: int
    ) -> None:
        self.world = world
        self.deadline = deadline
        self.token_ttl = token_ttl
        self.attachment_limit = attachment_limit
        self._by_token: dict[str, InteractionState] = {}

    # -- creating ----------------------------------------------------------------------------

    def create(
        self,
        kind: int,
        member: Member,
        channel: Channel,
        data: JSON,
        *,
        message: Message | None = None,
        command_name: str | None = None,
        triggering: InteractionState | None = None,
    ) -> InteractionState:
        """Register an interaction and build its INTERACTION_CREATE payload (not dispatched)."""
        world = self.world
        state = InteractionState(
            id=world.ids.next(),
            token=f"aW50ZXJhY3Rpb24{secrets.token_urlsafe(48)}",
            type=kind,
            member=member,
            channel=channel,
            payload={},
            message_id=message.id if message else None,
            command_name=command_name,
            triggering=triggering,
        )
        state.payload = self._payload(state, data, message)
        world.interactions[state.id] = state
        self._by_token[state.token] = state
        return state

    def _payload(self, state: InteractionState, data: JSON, message: Message | None) -> JSON:
        world, channel, member = self.world, state.channel, state.member
        guild = world.guild_of(channel)
        member_perms = guild.permissions_for(member, channel)
        payload: JSON = {
            "id": str(state.id),
            "application_id": str(world.application_id),
            "type": state.type,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": guild.locale, "features": []},
            "channel_id": str(channel.id),
            "channel": {**payloads.channel(channel), "permissions": str(member_perms)},
            "member": {**payloads.member(member), "permissions": str(member_perms)},
            "token": state.token,
            "version": 1,
            "app_permissions": str(world.bot_permissions(channel)),
            "locale": "en-US",
            "guild_locale": guild.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": self.attachment_limit,
        }
        if message is not None:
            payload["message"] = world.message_payload(message)
        return payload

    # -- lookups -----------------------------------------------------------------------------

    def for_callback(self, interaction_id: int, token: str) -> InteractionState:
        state = self.world.interactions.get(interaction_id)
        if state is None or state.token != token:
            raise errors.unknown_interaction()
        if state.acknowledged:
            raise errors.already_acknowledged()
        if time.monotonic() - state.created > self.deadline:
            raise errors.unknown_interaction()
        return state

    def for_webhook(self, application_id: int, token: str) -> InteractionState:
        if application_id != self.world.application_id:
            raise errors.unknown_webhook()
        state = self._by_token.get(token)
        if state is None:
            raise errors.unknown_webhook()
        if time.monotonic() - state.created > self.token_ttl:
            raise errors.ApiError(401, 50027, "Invalid Webhook Token")
        if not state.acknowledged:
            raise errors.unknown_webhook()
        return state

    def message_of(self, state: InteractionState, message_ref: str) -> Message:
        """``@original`` or one of the interaction's followups."""
        if message_ref == "@original":
            message_id = state.original_id
        else:
            message_id = int(message_ref) if message_ref.isdigit() else None
            if message_id not in (state.original_id, *state.followup_ids):
                message_id = None
        message = self.world.messages.get(message_id) if message_id else None
        if message is None:
            raise errors.unknown_message()
        return message

    # -- callbacks ---------------------------------------------------------------------------

    def respond(
        self, state: InteractionState, kind: int, draft: MessageDraft | None, data: JSON
    ) -> JSON:
        """Apply a callback and return the interaction callback response body."""
        if kind not in _ALLOWED_CALLBACKS.get(state.type, set()):
            raise BadPayload("type", f"Callback type {kind} is not valid for this interaction")
        if kind in (UPDATE_MESSAGE, DEFERRED_UPDATE) and state.message_id is None:
            raise BadPayload("type", "There is no message to update")
        message = self._apply(state, kind, draft, data)
        state.response_type = kind
        state.responded.set()
        return self._callback_body(state, kind, message)

    def _apply(
        self, state: InteractionState, kind: int, draft: MessageDraft | None, data: JSON
    ) -> Message | None:
        if kind == MESSAGE:
            return self._send_response(state, draft or MessageDraft(), loading=False)
        if kind == DEFERRED_MESSAGE:
            flags = data.get("flags") or 0
            return self._send_response(state, MessageDraft(flags=flags), loading=True)
        if kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            state.original_id = state.message_id
            message = self.world.messages.get(state.message_id or 0)
            if message is None:
                raise errors.unknown_message()
            if kind == UPDATE_MESSAGE and draft is not None:
                self._edit(state, message, draft)
            return message if kind == UPDATE_MESSAGE else None
        if kind == AUTOCOMPLETE_RESULT:
            state.choices = _checked_choices(data.get("choices", []))
        elif kind == MODAL:
            state.modal = _checked_modal(data)
        return None

    def _send_response(
        self, state: InteractionState, draft: MessageDraft, *, loading: bool
    ) -> Message:
        if not loading and draft.is_empty():
            raise errors.empty_message()
        fields = self.world.draft_fields(state.channel, draft, allow_ephemeral=True)
        ephemeral = bool(fields.get("flags", 0) & EPHEMERAL)
        if loading:
            fields["flags"] = fields.get("flags", 0) | LOADING
        message = self.world.post_message(
            state.channel,
            self.world.bot,
            ephemeral_for=state.member.id if ephemeral else None,
            type=20 if state.command_name else 0,
            webhook_id=self.world.application_id,
            application_id=self.world.application_id,
            interaction_metadata=state.metadata(),
            interaction=self._legacy_interaction(state),
            **fields,
        )
        state.original_id = message.id
        return message

    def _legacy_interaction(self, state: InteractionState) -> JSON | None:
        if state.command_name is None:
            return None
        return {
            "id": str(state.id),
            "type": state.type,
            "name": state.command_name,
            "user": payloads.user(state.member.user),
            "member": payloads.member(state.member, with_user=False),
        }

    def _callback_body(self, state: InteractionState, kind: int, message: Message | None) -> JSON:
        interaction: JSON = {
            "id": str(state.id),
            "type": state.type,
            "channel_id": str(state.channel.id),
            "guild_id": str(state.channel.guild_id),
        }
        body: JSON = {"interaction": interaction}
        if message is not None:
            interaction.update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            if kind in (MESSAGE, UPDATE_MESSAGE):  # a deferral has no resource yet
                body["resource"] = {"type": kind, "message": self.world.message_payload(message)}
        return body

    # -- followups and edits -----------------------------------------------------------------

    def followup(self, state: InteractionState, draft: MessageDraft) -> Message:
        original = self.world.messages.get(state.original_id or 0)
        if state.response_type == DEFERRED_MESSAGE and original is not None and original.loading:
            return self._edit(state, original, draft, first_followup=True)
        if draft.is_empty():
            raise errors.empty_message()
        fields = self.world.draft_fields(state.channel, draft, allow_ephemeral=True)
        ephemeral = bool(fields.get("flags", 0) & EPHEMERAL)
        message = self.world.post_message(
            state.channel,
            self.world.bot,
            ephemeral_for=state.member.id if ephemeral else None,
            webhook_id=self.world.application_id,
            application_id=self.world.application_id,
            interaction_metadata=state.metadata(),
            **fields,
        )
        state.followup_ids.append(message.id)
        state.followup_added.set()
        return message

    def edit(self, state: InteractionState, message: Message, draft: MessageDraft) -> Message:
        return self._edit(state, message, draft)

    def _edit(
        self,
        state: InteractionState,
        message: Message,
        draft: MessageDraft,
        *,
        first_followup: bool = False,
    ) -> Message:
        channel = self.world.channel(message.channel_id)
        fields = self.world.draft_fields(channel, draft, existing=message)
        keep = message.flags & EPHEMERAL
        fields["flags"] = (fields.get("flags", message.flags) & ~EPHEMERAL & ~LOADING) | keep
        was_loading = message.loading
        return self.world.edit_message(
            message, edited=not (was_loading or first_followup), **fields
        )


def _checked_choices(choices: list[JSON]) -> list[JSON]:
    if len(choices) > 25:
        raise BadPayload("data.choices", "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    for index, choice in enumerate(choices):
        name = choice.get("name", "")
        if not 1 <= len(name) <= 100:
            raise BadPayload(f"data.choices.{index}.name", "Must be between 1 and 100 in length.")
    return choices


def _checked_modal(data: JSON) -> JSON:
    title = data.get("title", "")
    if not 1 <= len(title) <= 45:
        raise BadPayload("data.title", "Must be between 1 and 45 in length.")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        raise BadPayload("data.components", "Must be between 1 and 5 in length.")
    if not data.get("custom_id"):
        raise BadPayload("data.custom_id", "This field is required", "BASE_TYPE_REQUIRED")
    check_components(components, "data.components")
    return data
