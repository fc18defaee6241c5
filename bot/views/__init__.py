"""View types: the read-only snapshots services hand to render and cogs.

They sit below services and render (both import them; they import only the domain), so render
never has to import a service to know the shape of what it draws. Each area has one module here;
its service package's ``types.py`` re-exports it next to the service-only types.
"""
