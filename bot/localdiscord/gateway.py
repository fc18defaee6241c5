"""The gateway: HELLO, heartbeats, IDENTIFY/READY/GUILD_CREATE, RESUME, and dispatch routing.

Frames are JSON text (no compression: discord.py only decompresses binary frames). Each session
has its own sequence numbers and keeps its recent dispatches so a RESUME after a dropped
connection replays what the client missed. Guild events go to the shard Discord would pick,
``(guild_id >> 22) % shard_count``, and are filtered by the session's intents.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads
from .world import World

HEARTBEAT_ACK_DELAY = 0.05  # seconds
_log = logging.getLogger(__name__)

JSON = dict[str, Any]

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_VOICE_STATES = 1 << 7
GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16

_EVENT_INTENTS = {
    "GUILD_CREATE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "THREAD_CREATE": GUILDS,
    "THREAD_UPDATE": GUILDS,
    "THREAD_DELETE": GUILDS,
    "VOICE_CHANNEL_STATUS_UPDATE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
    "VOICE_STATE_UPDATE": GUILD_VOICE_STATES,
    "GUILD_SCHEDULED_EVENT_CREATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_ADD": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_REMOVE": GUILD_SCHEDULED_EVENTS,
}
_CONTENT_FIELDS = ("content", "embeds", "attachments", "components")
RESUMABLE_CLOSE = 4000


def shard_for(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    session: GatewaySession | None = None

    def send(self, frame: JSON) -> None:
        self.queue.put_nowait(json.dumps(frame))


@dataclass(eq=False)
class GatewaySession:
    id: str
    shard_id: int
    shard_count: int
    intents: int
    buffer: deque[tuple[int, str]]
    seq: int = 0
    connection: Connection | None = None

    def wants(self, event: str, guild_id: int | None) -> bool:
        if guild_id is None:
            shard_ok = self.shard_id == 0
        else:
            shard_ok = shard_for(guild_id, self.shard_count) == self.shard_id
        needed = _EVENT_INTENTS.get(event, 0)
        return shard_ok and (self.intents & needed) == needed

    def push(self, event: str, data: JSON) -> None:
        self.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": self.seq, "d": data})
        self.buffer.append((self.seq, frame))
        if self.connection is not None:
            self.connection.queue.put_nowait(frame)


@dataclass
class GatewayStats:
    identifies: int = 0
    resumes: int = 0
    invalid_sessions: int = 0
    dispatches: int = 0


class GatewayHub:
    """All gateway sessions of the local server."""

    def __init__(
        self,
        world: World,
        *,
        token: str,
        resume_url: Callable[[], str],
        heartbeat_interval_ms: int = 41250,
        replay_limit: int = 10000,
    ) -> None:
        self.world = world
        self.token = token
        self.resume_url = resume_url
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.replay_limit = replay_limit
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[Connection] = set()
        self.stats = GatewayStats()
        self._changed = asyncio.Event()

    # -- dispatching -------------------------------------------------------------------------

    def dispatch(self, event: str, data: JSON, guild_id: int | None) -> None:
        """Send a dispatch to every session that should get it (buffered while disconnected)."""
        for session in self.sessions.values():
            if session.wants(event, guild_id):
                session.push(event, self._for_session(session, event, data))
                self.stats.dispatches += 1

    def _for_session(self, session: GatewaySession, event: str, data: JSON) -> JSON:
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & MESSAGE_CONTENT:
            return data
        bot_id = str(self.world.bot.id)
        mentioned = any(u.get("id") == bot_id for u in data.get("mentions", []))
        if data.get("author", {}).get("id") == bot_id or mentioned:
            return data
        return {**data, **{key: "" if key == "content" else [] for key in _CONTENT_FIELDS}}

    def has_session_for(self, guild_id: int) -> bool:
        return any(s.wants("INTERACTION_CREATE", guild_id) for s in self.sessions.values())

    def connected_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.connection is not None]

    async def wait_for(self, condition: Callable[[], bool], within: float) -> None:
        """Wait until ``condition()`` holds, re-checking whenever a session changes."""
        async with asyncio.timeout(within):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def _touch(self) -> None:
        self._changed.set()

    # -- connections -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws)
        self.connections.add(conn)
        writer = asyncio.create_task(self._write(conn))
        conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(msg.data))
        finally:
            self._detach(conn)
            conn.queue.put_nowait(None)
            await writer
        return ws

    async def _write(self, conn: Connection) -> None:
        while (frame := await conn.queue.get()) is not None:
            try:
                await conn.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    def _detach(self, conn: Connection) -> None:
        self.connections.discard(conn)
        if conn.session is not None and conn.session.connection is conn:
            conn.session.connection = None
        conn.session = None
        self._touch()

    async def drop(self, shard_id: int | None = None) -> int:
        """Close matching connections with a resumable code; the sessions stay resumable."""
        dropped = [
            c
            for c in list(self.connections)
            if c.session is not None and (shard_id is None or c.session.shard_id == shard_id)
        ]
        for conn in dropped:
            self._detach(conn)
        for conn in dropped:
            conn.queue.put_nowait(None)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.close(code=RESUMABLE_CLOSE, message=b"dropped by test")
        return len(dropped)

    async def close(self) -> None:
        for conn in list(self.connections):
            self._detach(conn)
            conn.queue.put_nowait(None)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.close(code=1001, message=b"server shutting down")

    # -- opcodes -----------------------------------------------------------------------------

    async def _on_frame(self, conn: Connection, frame: JSON) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            # Like Discord, acknowledge after a network round trip. An instant loopback ACK can
            # reach discord.py before its keep-alive thread records the send time, which makes it
            # log "Can't keep up, websocket is 41s behind" for a heartbeat that was on time.
            asyncio.get_running_loop().call_later(HEARTBEAT_ACK_DELAY, conn.send, {"op": 11})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op == 8:
            self._chunk_members(conn, data or {})
        else:
            _log.debug("ignoring gateway op %s", op)

    async def _identify(self, conn: Connection, data: JSON) -> None:
        if data.get("token", "").removeprefix("Bot ") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard_id, shard_count = data.get("shard") or [0, 1]
        if not 0 <= shard_id < shard_count:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        self._forget_stale(shard_id, shard_count)
        session = GatewaySession(
            id=uuid.uuid4().hex,
            shard_id=shard_id,
            shard_count=shard_count,
            intents=int(data.get("intents", 0)),
            buffer=deque(maxlen=self.replay_limit),
        )
        self.sessions[session.id] = session
        self._attach(conn, session)
        self.stats.identifies += 1
        session.push("READY", self._ready(session))
        for guild in self._guilds_of(session):
            all_members = bool(session.intents & GUILD_MEMBERS)
            data = payloads.guild_create(guild, self.world.bot.id, all_members=all_members)
            session.push("GUILD_CREATE", data)

    def _forget_stale(self, shard_id: int, shard_count: int) -> None:
        for key, old in list(self.sessions.items()):
            same_shard = (old.shard_id, old.shard_count) == (shard_id, shard_count)
            if same_shard and old.connection is None:
                del self.sessions[key]

    def _guilds_of(self, session: GatewaySession) -> list[Any]:
        return [
            g
            for g in self.world.guilds.values()
            if shard_for(g.id, session.shard_count) == session.shard_id
        ]

    def _ready(self, session: GatewaySession) -> JSON:
        me = {**payloads.user(self.world.bot), "verified": True, "mfa_enabled": False}
        return {
            "v": 10,
            "user": me,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in self._guilds_of(session)],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url(),
            "shard": [session.shard_id, session.shard_count],
            "application": {"id": str(self.world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
        }

    async def _resume(self, conn: Connection, data: JSON) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        seq = data.get("seq") or 0
        token_ok = data.get("token", "").removeprefix("Bot ") == self.token
        if session is None or not token_ok or not self._can_replay(session, seq):
            self.stats.invalid_sessions += 1
            conn.send({"op": 9, "d": False})
            return
        if session.connection is not None:
            old = session.connection
            self._detach(old)
            old.queue.put_nowait(None)
        for entry_seq, frame in session.buffer:
            if entry_seq > seq:
                conn.queue.put_nowait(frame)
        self._attach(conn, session)
        self.stats.resumes += 1
        session.push("RESUMED", {})

    def _can_replay(self, session: GatewaySession, seq: int) -> bool:
        if seq >= session.seq:
            return True
        return bool(session.buffer) and session.buffer[0][0] <= seq + 1

    def _attach(self, conn: Connection, session: GatewaySession) -> None:
        conn.session = session
        session.connection = conn
        self._touch()

    def _chunk_members(self, conn: Connection, data: JSON) -> None:
        session = conn.session
        guild = self.world.guilds.get(int(data.get("guild_id", 0)))
        if session is None or guild is None:
            return
        chunk = {
            "guild_id": str(guild.id),
            "members": [payloads.member(m) for m in guild.members.values()],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session.push("GUILD_MEMBERS_CHUNK", chunk)
