"""Interaction callbacks, followups and the original response (token-authorised routes)."""

from __future__ import annotations

from bot.localdiscord.errors import BadPayload
from bot.localdiscord.interactions import MESSAGE, UPDATE_MESSAGE, InteractionState
from bot.localdiscord.rest import Call, Endpoint, Reply
from bot.localdiscord.validation import MessageDraft, parse_message

_TRUE = {"true", "1", "True"}


async def callback(call: Call) -> Reply:
    interactions = call.core.interactions
    state = interactions.for_callback(
        call.snowflake("interaction_id"), call.params["interaction_token"]
    )
    body = call.json()
    kind = body.get("type")
    if not isinstance(kind, int):
        raise BadPayload("type", "This field is required", "BASE_TYPE_REQUIRED")
    data = body.get("data") or {}
    draft = _draft_for(kind, data, call)
    response = interactions.respond(state, kind, draft, data)
    if call.query("with_response") in _TRUE:
        return Reply(body=response)
    return Reply.empty()


def _draft_for(kind: int, data: dict[str, object], call: Call) -> MessageDraft | None:
    if kind in (MESSAGE, UPDATE_MESSAGE):
        return parse_message(data, call.files, creating=kind == MESSAGE, prefix="data.")
    return None


def _state(call: Call) -> InteractionState:
    return call.core.interactions.for_webhook(
        call.snowflake("webhook_id"), call.params["webhook_token"]
    )


async def followup(call: Call) -> Reply:
    state = _state(call)
    draft = parse_message(call.json(), call.files, creating=False)
    message = call.core.interactions.followup(state, draft)
    if call.query("wait") in _TRUE:
        return Reply(body=call.core.world.message_payload(message))
    return Reply.empty()


def _message_ref(call: Call) -> str:
    return call.params.get("message_id", "@original")


async def get_response(call: Call) -> Reply:
    state = _state(call)
    message = call.core.interactions.message_of(state, _message_ref(call))
    return Reply(body=call.core.world.message_payload(message))


async def edit_response(call: Call) -> Reply:
    state = _state(call)
    interactions = call.core.interactions
    message = interactions.message_of(state, _message_ref(call))
    draft = parse_message(call.json(), call.files, creating=False)
    interactions.edit(state, message, draft)
    return Reply(body=call.core.world.message_payload(message))


async def delete_response(call: Call) -> Reply:
    state = _state(call)
    message = call.core.interactions.message_of(state, _message_ref(call))
    call.core.world.delete_message(message)
    return Reply.empty()


_WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"
ENDPOINTS = [
    Endpoint(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        callback,
        bot_auth=False,
    ),
    Endpoint("POST", _WEBHOOK, followup, bot_auth=False),
    Endpoint("GET", _WEBHOOK + "/messages/@original", get_response, bot_auth=False),
    Endpoint("PATCH", _WEBHOOK + "/messages/@original", edit_response, bot_auth=False),
    Endpoint("DELETE", _WEBHOOK + "/messages/@original", delete_response, bot_auth=False),
    Endpoint("GET", _WEBHOOK + "/messages/{message_id}", get_response, bot_auth=False),
    Endpoint("PATCH", _WEBHOOK + "/messages/{message_id}", edit_response, bot_auth=False),
    Endpoint("DELETE", _WEBHOOK + "/messages/{message_id}", delete_response, bot_auth=False),
]
