"""Privacy: what is stored about a member, export, forget me, don't track me, server removal."""

from bot.services.privacy.service import PrivacyService

__all__ = ["PrivacyService"]
