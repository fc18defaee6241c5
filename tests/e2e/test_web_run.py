"""`sprintbot run` serves the web app in the same process: a health check for operators."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp

from bot.localdiscord import LocalDiscord
from tests.e2e.test_run import ROOT, read_until


async def test_run_serves_a_health_check_with_database_and_gateway_state(tmp_path: Path) -> None:
    async with LocalDiscord() as server:
        server.add_guild("Sprint Club").add_text_channel("general")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "SPRINTBOT_TOKEN": server.token,
            "SPRINTBOT_API_BASE_URL": server.api_base_url,
            "SPRINTBOT_GATEWAY_URL": server.gateway_url,
            "SPRINTBOT_DATA_DIR": str(tmp_path / "data"),
            "SPRINTBOT_LOG_LEVEL": "INFO",
            "SPRINTBOT_WEB_PORT": "0",
        }
        for var in ("SPRINTBOT_CONFIG", "SPRINTBOT_DATABASE_URL", "SPRINTBOT_PUBLIC_BASE_URL"):
            env.pop(var, None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stderr is not None
        log: list[str] = []
        try:
            async with asyncio.timeout(60):
                await read_until(proc.stderr, "web: serving live pages on", log)
                match = re.search(r"health: (http://127\.0\.0\.1:\d+)/healthz", log[-1])
                assert match is not None, log[-1]
                await read_until(proc.stderr, "ready as", log)
            async with (
                aiohttp.ClientSession() as http,
                http.get(match[1] + "/healthz") as response,
            ):
                assert response.status == 200
                body = await response.json()
            assert (body["status"], body["database"], body["gateway"]) == ("ok", "ok", "ready")
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                rest = (await proc.stderr.read()).decode(errors="replace")
                code = await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert code == 0, "".join(log) + rest
        assert "Traceback" not in "".join(log) + rest
