from __future__ import annotations

import pytest

from bot.domain.errors import Conflict, NotFound, PermissionDenied, UserError, ValidationError


@pytest.mark.parametrize("cls", [ValidationError, PermissionDenied, NotFound, Conflict])
def test_every_domain_error_is_a_user_error(cls: type[UserError]) -> None:
    assert issubclass(cls, UserError)


def test_user_error_str_is_the_sentence_shown_to_the_user() -> None:
    err = Conflict("The sprint is already paused.")
    assert str(err) == "The sprint is already paused."
    assert err.message == "The sprint is already paused."
