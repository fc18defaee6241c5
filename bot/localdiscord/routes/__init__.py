"""REST route handlers, one module per resource; ``all_endpoints()`` lists every route served."""

from __future__ import annotations

from bot.localdiscord.rest import Endpoint

from . import application, channels, guilds, interactions, messages, threads


def all_endpoints() -> list[Endpoint]:
    return [
        *application.ENDPOINTS,
        *channels.ENDPOINTS,
        *messages.ENDPOINTS,
        *threads.ENDPOINTS,
        *interactions.ENDPOINTS,
        *guilds.ENDPOINTS,
    ]
