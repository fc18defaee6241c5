"""The bot's own web server: live sprint pages, calendar feeds and a health check (an adapter,
like the cogs: parse the request, call a service, render a template)."""
