"""Message bodies: Discord's limits checked, then normalised the way Discord stores them.

Limits (https://discord.com/developers/docs/resources/message): content 2,000 characters;
10 embeds totalling 6,000 characters (title 256, description 4,096, 25 fields of 256/1,024,
footer 2,048, author 256); 5 action rows of 5 buttons or one select; custom_id 100; label 80.
Violations raise :class:`BadPayload` (50035), which the server also records as a bad payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import BadPayload, empty_message
from .models import walk_components

JSON = dict[str, Any]

SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
_SENDABLE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
_EMBED_LIMITS = {"title": 256, "description": 4096}
_BUTTON_STYLES_WITHOUT_CUSTOM_ID = {5, 6}
_SELECT_TYPES = {3, 5, 6, 7, 8}


@dataclass
class UploadedFile:
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class MessageDraft:
    """The message fields present in a create or edit body (None = not sent)."""

    content: str | None = None
    embeds: list[JSON] | None = None
    components: list[JSON] | None = None
    flags: int | None = None
    tts: bool = False
    nonce: int | str | None = None
    enforce_nonce: bool = False
    allowed_mentions: JSON | None = None
    message_reference: JSON | None = None
    keep_attachment_ids: list[int] | None = None
    files: list[tuple[UploadedFile, str | None]] = field(default_factory=list)
    has_other_content: bool = False  # stickers or a poll

    def is_empty(self) -> bool:
        return not (
            self.content or self.embeds or self.components or self.files or self.has_other_content
        )

    def fields(self, *, allow_ephemeral: bool = False) -> JSON:
        """Keyword arguments for ``World.post_message`` / ``edit_message``."""
        result: JSON = {}
        for key in ("content", "embeds", "components", "allowed_mentions"):
            value = getattr(self, key)
            if value is not None:
                result[key] = value
        if self.flags is not None:
            mask = _SENDABLE_FLAGS | (EPHEMERAL if allow_ephemeral else 0)
            result["flags"] = self.flags & mask
        return result


def parse_message(
    body: JSON, files: dict[int, UploadedFile], *, creating: bool, prefix: str = ""
) -> MessageDraft:
    draft = MessageDraft(
        content=_content(body, prefix),
        embeds=_embeds(body, prefix),
        components=_components(body, prefix),
        flags=_int_or_none(body.get("flags"), f"{prefix}flags"),
        tts=bool(body.get("tts", False)),
        nonce=_nonce(body.get("nonce"), prefix),
        enforce_nonce=bool(body.get("enforce_nonce", False)),
        allowed_mentions=body.get("allowed_mentions"),
        message_reference=body.get("message_reference"),
        has_other_content=bool(body.get("sticker_ids") or body.get("poll")),
    )
    _attach_files(draft, body.get("attachments"), files, prefix)
    if creating and draft.is_empty():
        raise empty_message()
    return draft


def _content(body: JSON, prefix: str) -> str | None:
    content = body.get("content")
    if content is None:
        return None
    if not isinstance(content, str):
        raise BadPayload(f"{prefix}content", "Must be a string.")
    if len(content) > MAX_CONTENT:
        raise BadPayload(
            f"{prefix}content",
            f"Must be {MAX_CONTENT} or fewer in length.",
            "BASE_TYPE_MAX_LENGTH",
        )
    return content


def _nonce(value: Any, prefix: str) -> int | str | None:
    if isinstance(value, str) and len(value) > 25:
        raise BadPayload(f"{prefix}nonce", "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    return value if isinstance(value, int | str) else None


def _int_or_none(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int):
        raise BadPayload(name, "Value is not int.", "NUMBER_TYPE_COERCE")
    return value


def _embeds(body: JSON, prefix: str) -> list[JSON] | None:
    embeds = body.get("embeds")
    if embeds is None and "embed" in body:
        embeds = [body["embed"]] if body["embed"] else []
    if embeds is None:
        return None
    if len(embeds) > MAX_EMBEDS:
        raise BadPayload(
            f"{prefix}embeds", "Must be 10 or fewer in length.", "BASE_TYPE_MAX_LENGTH"
        )
    total = 0
    normalised = []
    for index, embed in enumerate(embeds):
        total += _check_embed(embed, f"{prefix}embeds.{index}")
        normalised.append({"type": "rich", **embed})
    if total > MAX_EMBED_TOTAL:
        raise BadPayload(f"{prefix}embeds", "Embed size exceeds maximum size of 6000")
    return normalised


def _check_embed(embed: JSON, where: str) -> int:
    """Check one embed's limits; return its character count."""
    size = 0
    for key, limit in _EMBED_LIMITS.items():
        size += _limited(embed.get(key), limit, f"{where}.{key}")
    fields = embed.get("fields", [])
    if len(fields) > 25:
        raise BadPayload(
            f"{where}.fields", "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH"
        )
    for index, item in enumerate(fields):
        item.setdefault("inline", False)
        size += _limited(item.get("name"), 256, f"{where}.fields.{index}.name", required=True)
        size += _limited(item.get("value"), 1024, f"{where}.fields.{index}.value", required=True)
    size += _limited((embed.get("footer") or {}).get("text"), 2048, f"{where}.footer.text")
    size += _limited((embed.get("author") or {}).get("name"), 256, f"{where}.author.name")
    return size


def _limited(value: Any, limit: int, where: str, *, required: bool = False) -> int:
    if value is None or value == "":
        if required:
            raise BadPayload(where, "This field is required", "BASE_TYPE_REQUIRED")
        return 0
    text = str(value)
    if len(text) > limit:
        raise BadPayload(where, f"Must be {limit} or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    return len(text)


def _components(body: JSON, prefix: str) -> list[JSON] | None:
    components = body.get("components")
    if components is None:
        return None
    v2 = bool((body.get("flags") or 0) & IS_COMPONENTS_V2)
    check_components(components, f"{prefix}components", v2=v2)
    return assign_component_ids(components)


def check_components(components: list[JSON], where: str, *, v2: bool = False) -> None:
    if not v2 and len(components) > 5:
        raise BadPayload(where, "Must be 5 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    custom_ids: set[str] = set()
    for index, row in enumerate(components):
        if row.get("type") == 1:
            _check_row(row, f"{where}.{index}")
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        if custom_id is None:
            continue
        if len(custom_id) > 100:
            raise BadPayload(f"{where}.custom_id", "Must be 100 or fewer in length.")
        if custom_id in custom_ids:
            raise BadPayload(f"{where}.custom_id", "Component custom id cannot be duplicated")
        custom_ids.add(custom_id)


def _check_row(row: JSON, where: str) -> None:
    children = row.get("components", [])
    selects = [c for c in children if c.get("type") in _SELECT_TYPES]
    if not children or len(children) > 5 or (selects and len(children) > 1):
        raise BadPayload(f"{where}.components", "Invalid action row contents")
    for index, child in enumerate(children):
        if child.get("type") == 2:
            _check_button(child, f"{where}.components.{index}")


def _check_button(button: JSON, where: str) -> None:
    _limited(button.get("label"), 80, f"{where}.label")
    has_custom_id = "custom_id" in button
    if (button.get("style") in _BUTTON_STYLES_WITHOUT_CUSTOM_ID) == has_custom_id:
        raise BadPayload(f"{where}.custom_id", "A custom id is required for non-link buttons")


def assign_component_ids(components: list[JSON]) -> list[JSON]:
    """Give every component without an ``id`` the next free one, as Discord does."""
    used = {c["id"] for c in walk_components(components) if isinstance(c.get("id"), int)}
    next_id = 1
    for component in walk_components(components):
        if isinstance(component.get("id"), int):
            continue
        while next_id in used:
            next_id += 1
        component["id"] = next_id
        used.add(next_id)
    return components


def _attach_files(
    draft: MessageDraft, attachments: Any, files: dict[int, UploadedFile], prefix: str
) -> None:
    if attachments is None:
        draft.files = [(files[i], None) for i in sorted(files)]
        return
    keep: list[int] = []
    for index, item in enumerate(attachments):
        ref = item.get("id")
        uploaded = files.get(int(ref)) if ref is not None and int(ref) in files else None
        if uploaded is not None:
            draft.files.append((uploaded, item.get("description")))
        elif ref is not None and int(ref) >= 1 << 22:
            keep.append(int(ref))
        else:
            raise BadPayload(f"{prefix}attachments.{index}.id", "Unknown attachment")
    draft.keep_attachment_ids = keep
