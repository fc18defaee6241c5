from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.domain.errors import ValidationError
from bot.domain.timezones import COMMON_ZONES, canonical_zone_name, search_zones, validate_zone


def test_exact_iana_name_is_accepted() -> None:
    assert validate_zone("Europe/London") == ZoneInfo("Europe/London")


def test_name_in_any_case_returns_canonical_zone() -> None:
    assert validate_zone("america/new_york").key == "America/New_York"


def test_utc_is_accepted() -> None:
    assert validate_zone("utc").key == "UTC"


def test_surrounding_whitespace_is_ignored() -> None:
    assert canonical_zone_name("  asia/kolkata ") == "Asia/Kolkata"


def test_typo_suggests_close_names() -> None:
    with pytest.raises(ValidationError) as err:
        validate_zone("Europe/Lodnon")
    message = str(err.value)
    assert message.startswith("Unknown time zone 'Europe/Lodnon'. Did you mean: Europe/London")
    assert message.endswith("?")
    assert message.count(",") <= 2


def test_city_alone_suggests_its_zone() -> None:
    with pytest.raises(ValidationError, match=r"Did you mean: Europe/London\b"):
        validate_zone("london")


def test_city_with_space_suggests_its_zone() -> None:
    with pytest.raises(ValidationError, match="America/New_York"):
        validate_zone("New York")


def test_nonsense_name_explains_expected_format() -> None:
    with pytest.raises(ValidationError, match="Use a name like Europe/London"):
        validate_zone("qqqqqqqq")


def test_empty_name_is_rejected() -> None:
    with pytest.raises(ValidationError, match="Give a time zone"):
        validate_zone("   ")


def test_pseudo_zones_are_rejected() -> None:
    with pytest.raises(ValidationError):
        validate_zone("localtime")


def test_path_traversal_is_rejected() -> None:
    with pytest.raises(ValidationError):
        validate_zone("../../etc/passwd")


def test_search_empty_query_gives_common_zones() -> None:
    assert search_zones("") == list(COMMON_ZONES)
    assert len(search_zones("", limit=3)) == 3


def test_search_prefers_city_prefix_of_modern_names() -> None:
    assert search_zones("lon")[0] == "Europe/London"


def test_search_matches_city_with_space() -> None:
    assert search_zones("new york")[0] == "America/New_York"


def test_search_matches_region_prefix() -> None:
    results = search_zones("australia/", limit=10)
    assert "Australia/Sydney" in results
    assert all(name.startswith("Australia/") for name in results)


def test_search_falls_back_to_fuzzy_matches() -> None:
    assert "Australia/Sydney" in search_zones("sydny")


def test_search_respects_limit() -> None:
    assert len(search_zones("a", limit=25)) == 25


def test_all_common_zones_are_valid() -> None:
    for name in COMMON_ZONES:
        assert canonical_zone_name(name) == name
