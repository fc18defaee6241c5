"""Peers: minimal bots that model how other Discord pomodoro bots are built (see common.py)."""
