"""IANA time zone validation and search (for slash-command autocomplete)."""

from __future__ import annotations

import difflib
import zoneinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.domain.errors import ValidationError

__all__ = [
    "COMMON_ZONES",
    "all_zone_names",
    "canonical_zone_name",
    "search_zones",
    "validate_zone",
]

# Names zoneinfo may list that are not real, user-meaningful zones.
_EXCLUDED = frozenset({"Factory", "localtime", "posixrules", "posix", "right"})
_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
    "Etc/",
)

COMMON_ZONES: tuple[str, ...] = (
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Africa/Johannesburg",
)
_COMMON_SET = frozenset(COMMON_ZONES)


@lru_cache(maxsize=1)
def all_zone_names() -> tuple[str, ...]:
    """Every valid zone name, sorted (always includes ``UTC``)."""
    names = {name for name in zoneinfo.available_timezones() if name not in _EXCLUDED}
    names.add("UTC")
    return tuple(sorted(names))


@lru_cache(maxsize=1)
def _by_lower() -> dict[str, str]:
    return {name.lower(): name for name in all_zone_names()}


@lru_cache(maxsize=1)
def _by_city() -> dict[str, tuple[str, ...]]:
    cities: dict[str, list[str]] = {}
    for name in all_zone_names():
        cities.setdefault(_city(name), []).append(name)
    return {city: tuple(sorted(names, key=_preference)) for city, names in cities.items()}


def _city(name: str) -> str:
    return name.rsplit("/", 1)[-1].lower()


def _normalise(query: str) -> str:
    return "_".join(query.strip().split()).lower()


def _preference(name: str) -> tuple[int, int, str]:
    """Prefer common zones, then modern Region/City names over legacy aliases like ``GB``."""
    legacy = 0 if name == "UTC" or name.startswith(_REGIONS) else 1
    return (legacy, 0 if name in _COMMON_SET else 1, name)


def _suggestions(query: str, limit: int = 3) -> list[str]:
    norm = _normalise(query)
    found: list[str] = []

    def add(names: list[str] | tuple[str, ...]) -> None:
        for name in names:
            if name not in found:
                found.append(name)

    add(_by_city().get(_city(norm), ()))
    lowered = _by_lower()
    add([lowered[m] for m in difflib.get_close_matches(norm, list(lowered), n=limit, cutoff=0.6)])
    for city in difflib.get_close_matches(_city(norm), list(_by_city()), n=limit, cutoff=0.75):
        add(_by_city()[city][:1])
    return found[:limit]


def _shown(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validate_zone(name: str) -> ZoneInfo:
    """The :class:`ZoneInfo` for an IANA name given in any letter case.

    Raises :class:`ValidationError` with up to three suggestions for an unknown name.
    """
    key = _by_lower().get(name.strip().lower())
    if key is not None:
        return ZoneInfo(key)
    if not name.strip():
        raise ValidationError("Give a time zone name, e.g. Europe/London or America/New_York.")
    suggestions = _suggestions(name)
    if suggestions:
        raise ValidationError(
            f"Unknown time zone '{_shown(name)}'. Did you mean: {', '.join(suggestions)}?"
        )
    raise ValidationError(
        f"Unknown time zone '{_shown(name)}'. Use a name like Europe/London or America/New_York."
    )


def canonical_zone_name(name: str) -> str:
    """The canonical spelling of ``name`` (e.g. ``europe/london`` → ``Europe/London``)."""
    return validate_zone(name).key


def search_zones(query: str, limit: int = 25) -> list[str]:
    """Zone names for autocomplete: exact, prefix, city-prefix, substring, then fuzzy matches."""
    if limit <= 0:
        return []
    norm = _normalise(query)
    if not norm:
        return list(COMMON_ZONES[:limit])
    ranked: list[tuple[int, tuple[int, int, str], str]] = []
    for name in all_zone_names():
        lower = name.lower()
        city = _city(name)
        if lower == norm or city == norm:
            tier = 0
        elif lower.startswith(norm):
            tier = 1
        elif city.startswith(norm):
            tier = 2
        elif norm in lower:
            tier = 3
        else:
            continue
        ranked.append((tier, _preference(name), name))
    ranked.sort()
    results = [name for _, _, name in ranked[:limit]]
    if len(results) < limit:
        for name in _suggestions(query, limit=limit):
            if name not in results:
                results.append(name)
            if len(results) >= limit:
                break
    return results
