"""Delivery: the outbox and the sender that drains it within Discord's limits.

- ``outbox.enqueue(session, Outgoing(...))``: services write messages in their transaction.
- ``sender.Sender``: drains the outbox (built by the bot; ``bot.delivery``).
- ``outbox.close_topic(session, topic, at)``: a topic's rows (e.g. a sprint's) are over.
- ``failures.recent_failures(session, guild_id)`` / ``failures_for(session, guild_id, topic=...)``:
  what a manager should fix.

Modules: ``outbox`` (rows), ``sender`` (the tasks) on ``recorder`` (database side) on ``board``
(the queue in memory) on ``items`` (row state, stats, shard scope, the listener Protocol);
``transport`` (one row → one request) and ``limits`` (Discord's limits on our side).
"""

from bot.delivery.failures import acknowledge_failures, failures_for, recent_failures
from bot.delivery.items import DeliveryListener
from bot.delivery.outbox import Outgoing, Priority, close_topic, enqueue, sprint_topic

__all__ = [
    "DeliveryListener",
    "Outgoing",
    "Priority",
    "acknowledge_failures",
    "close_topic",
    "enqueue",
    "failures_for",
    "recent_failures",
    "sprint_topic",
]
