"""Discord's size limits, in one place (characters unless noted).

Every payload the bot builds (render) and every reply a cog sends keeps within these. Values are
Discord's published limits for API v10; where we keep a margin below one, the margin is named
next to its use, not here.
"""

from __future__ import annotations

from typing import Final

# Messages
CONTENT: Final = 2000
ALLOWED_MENTIONS_USERS: Final = 100  # ids in allowed_mentions.users
# Embeds
EMBED_TITLE: Final = 256
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELDS: Final = 25  # fields per embed
EMBED_FIELD_NAME: Final = 256
EMBED_FIELD_VALUE: Final = 1024
EMBED_FOOTER: Final = 2048
EMBED_AUTHOR: Final = 256
EMBED_TOTAL: Final = 6000  # title + description + field names/values + footer + author
EMBEDS_PER_MESSAGE: Final = 10
# Components
ACTION_ROWS: Final = 5  # rows per message
ROW_BUTTONS: Final = 5  # buttons per row
BUTTON_LABEL: Final = 80
CUSTOM_ID: Final = 100
SELECT_OPTIONS: Final = 25
SELECT_LABEL: Final = 100
SELECT_DESCRIPTION: Final = 100
SELECT_PLACEHOLDER: Final = 150
# Modals
MODAL_TITLE: Final = 45
TEXT_INPUT_LABEL: Final = 45
TEXT_INPUT_VALUE: Final = 4000
# Application commands
CHOICES: Final = 25  # autocomplete results
CHOICE_NAME: Final = 100
# Channels
THREAD_NAME: Final = 100
CHANNEL_NAME: Final = 100
VOICE_STATUS: Final = 500

__all__ = [
    "ACTION_ROWS",
    "ALLOWED_MENTIONS_USERS",
    "BUTTON_LABEL",
    "CHANNEL_NAME",
    "CHOICES",
    "CHOICE_NAME",
    "CONTENT",
    "CUSTOM_ID",
    "EMBEDS_PER_MESSAGE",
    "EMBED_AUTHOR",
    "EMBED_DESCRIPTION",
    "EMBED_FIELDS",
    "EMBED_FIELD_NAME",
    "EMBED_FIELD_VALUE",
    "EMBED_FOOTER",
    "EMBED_TITLE",
    "EMBED_TOTAL",
    "MODAL_TITLE",
    "ROW_BUTTONS",
    "SELECT_DESCRIPTION",
    "SELECT_LABEL",
    "SELECT_OPTIONS",
    "SELECT_PLACEHOLDER",
    "TEXT_INPUT_LABEL",
    "TEXT_INPUT_VALUE",
    "THREAD_NAME",
    "VOICE_STATUS",
]
