"""Delivery: the outbox and the sender that drains it within Discord's limits."""
