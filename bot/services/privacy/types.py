"""What the privacy service hands to render and cogs (defined in ``bot.domain.privacy`` so that
render can use them without importing a service)."""

from bot.domain.privacy import ExportFile, ForgetResult, StoredSummary

__all__ = ["EXPORT_FORMAT", "EXPORT_VERSION", "ExportFile", "ForgetResult", "StoredSummary"]

EXPORT_FORMAT = "sprintbot-export"
EXPORT_VERSION = 1
