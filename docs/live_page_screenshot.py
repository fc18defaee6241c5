"""Take docs/live-page.png: a sprint's live page in headless Chromium (phone size, dark mode).

    python docs/live_page_screenshot.py

Runs the real bot against the local Discord server, starts a sprint with a few members and goals,
shares it with names and goals, and photographs the page mid-round.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.localdiscord import LocalDiscord  # noqa: E402
from db.engine import Database  # noqa: E402
from db.models import Base  # noqa: E402
from tests.e2e.browser import CHROMIUM_FLAGS  # noqa: E402
from tests.e2e.support import sprintbot  # noqa: E402

OUT = ROOT / "docs" / "live-page.png"


def shoot(url: str, profile: str) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--hide-scrollbars"):
        options.add_argument(flag)
    options.add_argument("--window-size=420,1100")
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
        )
        driver.get(url)
        for _ in range(50):
            if driver.find_element("id", "connection").text.startswith("Live"):
                break
            driver.implicitly_wait(0.1)
        driver.save_screenshot(str(OUT))
    finally:
        driver.quit()


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Database.from_url(f"sqlite+aiosqlite:///{folder}/shot.sqlite3")
        async with database.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with LocalDiscord() as server:
            guild = server.add_guild("Sprint Club")
            general = guild.add_text_channel("coworking")
            members = [guild.add_member(n.lower(), global_name=n) for n in ("Ana", "Ben", "Chi")]
            driver = server.driver

            async def say(member, command, **options):  # type: ignore[no-untyped-def]
                return await (await driver.slash(member, general, command, **options)).message()

            async with sprintbot(server, database, speed=1.0):
                await say(
                    members[0],
                    "sprint start",
                    work=25,
                    rounds=4,
                    intro=0,
                    title="Thesis writing club",
                )
                for member, goal in zip(
                    members,
                    ("Draft chapter 3 intro", "Fix the login bug", "Read two papers"),
                    strict=True,
                ):
                    if member is not members[0]:
                        await say(member, "sprint join")
                    await say(member, "goal", text=goal)
                reply = await say(members[0], "share sprint", names_and_goals=True)
                match = re.search(r"<(http[^>]+)>", reply.content)
                assert match is not None, reply.content
                await asyncio.sleep(3)
                await asyncio.to_thread(shoot, match[1], folder)
        await database.dispose()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
