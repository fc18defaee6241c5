"""Delivery: the outbox and the sender that drains it within Discord's limits.

- ``outbox.enqueue(session, Outgoing(...))``: services write messages in their transaction.
- ``sender.Sender``: drains the outbox (built by the bot; ``bot.delivery``).
- ``failures.recent_failures(session, guild_id)``: what a manager should fix.
"""

from bot.delivery.failures import acknowledge_failures, recent_failures
from bot.delivery.outbox import Outgoing, Priority, enqueue

__all__ = ["Outgoing", "Priority", "acknowledge_failures", "enqueue", "recent_failures"]
