# ruff: noqa: ASYNC230
"""An idle event loop that only measures how late it wakes: the machine's own stalls.

Run by ``bench/run.py`` next to the bot (``python bench/probe.py SECONDS OUT.json``). When this
process and the bot stall at the same moment, the pause came from the machine (a virtual CPU
descheduled, another process), not from the bot's code.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def main(seconds: float, out: str) -> None:
    loop = asyncio.get_running_loop()
    stalls: list[tuple[float, float]] = []  # (wall time at wake-up, seconds late) over 5 ms
    lateness: list[float] = []
    samples = 0
    end = time.time() + seconds
    while time.time() < end:
        before = loop.time()
        await asyncio.sleep(0.005)
        late = loop.time() - before - 0.005
        samples += 1
        lateness.append(late)
        if late > 0.005:
            stalls.append((time.time(), late))
    with open(out, "w", encoding="utf-8") as f:
        lateness.sort()
        quantiles = (
            {
                f"p{q}": lateness[min(len(lateness) - 1, round(q / 100 * (len(lateness) - 1)))]
                for q in (50, 99)
            }
            if lateness
            else {}
        )
        json.dump(
            {"samples": samples, "stalls": stalls, **quantiles, "max": max(lateness, default=0.0)},
            f,
        )


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]), sys.argv[2]))
