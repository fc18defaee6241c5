"""Charts as PNG bytes, drawn with matplotlib's Agg backend (pure: data in, bytes out).

Only the object-oriented API is used (``Figure`` + ``FigureCanvasAgg``, never ``pyplot``), so no
global figure state is shared and a chart can be drawn in a worker thread while the event loop
keeps running (callers use ``asyncio.to_thread``). Each chart has a fixed pixel size.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display; must come before anything imports pyplot

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = [
    "MEMBER_CHART_SIZE",
    "SERVER_CHART_SIZE",
    "MemberChart",
    "ServerChart",
    "member_chart",
    "server_chart",
]

DPI = 100
MEMBER_CHART_SIZE = (800, 500)  # pixels
SERVER_CHART_SIZE = (900, 760)

ACCENT = "#5865F2"  # Discord blurple
GREEN = "#3BA55C"
INK = "#2B2D31"
GRID = "#D9DCE1"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class MemberChart:
    daily_focus: Sequence[tuple[date, int]]  # minutes per day, oldest first
    weekly_goals: Sequence[tuple[date, int]]  # goals done per week (Monday), oldest first
    title: str = "My progress"


@dataclass(frozen=True)
class ServerChart:
    weeks: Sequence[date]
    active_members: Sequence[int]
    sprints: Sequence[int]
    focus_hours: Sequence[float]
    busiest: dict[tuple[int, int], float]  # (weekday, hour) → focus minutes
    zone: str = "UTC"
    title: str = "Server activity"


def _figure(size: tuple[int, int]) -> Figure:
    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)  # no bbox "tight": the pixel size stays fixed
    return buf.getvalue()


def _style(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(colors=INK, labelsize=8)


def _week_label(week: date) -> str:
    return f"{week.day} {week:%b}"


def member_chart(data: MemberChart) -> bytes:
    """Focus minutes per day (bars) above goals done per week (bars), 800×500 px."""
    fig = _figure(MEMBER_CHART_SIZE)
    fig.suptitle(data.title, color=INK, fontsize=12, fontweight="bold")
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [3, 2], "hspace": 0.55})
    days = [d for d, _ in data.daily_focus]
    minutes = [m for _, m in data.daily_focus]
    top.bar(range(len(days)), minutes, color=ACCENT, width=0.8)
    top.set_title("Focus minutes per day (last 4 weeks)", fontsize=9, color=INK, loc="left")
    ticks = [i for i, d in enumerate(days) if d.weekday() == 0] or list(range(len(days)))[:1]
    top.set_xticks(ticks, [_week_label(days[i]) for i in ticks])
    top.set_xlim(-0.6, max(len(days), 1) - 0.4)
    _style(top)
    weeks = [w for w, _ in data.weekly_goals]
    done = [n for _, n in data.weekly_goals]
    bottom.bar(range(len(weeks)), done, color=GREEN, width=0.6)
    bottom.set_title("Goals done per week", fontsize=9, color=INK, loc="left")
    bottom.set_xticks(range(len(weeks)), [_week_label(w) for w in weeks])
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    _style(bottom)
    return _png(fig)


def server_chart(data: ServerChart) -> bytes:
    """Active members and focus hours per week, and the busiest hours heatmap, 900×760 px."""
    fig = _figure(SERVER_CHART_SIZE)
    fig.suptitle(data.title, color=INK, fontsize=12, fontweight="bold")
    grid = fig.add_gridspec(2, 2, height_ratios=[2, 3], hspace=0.45, wspace=0.25)
    members_ax = fig.add_subplot(grid[0, 0])
    hours_ax = fig.add_subplot(grid[0, 1])
    heat_ax = fig.add_subplot(grid[1, :])
    labels = [_week_label(w) for w in data.weeks]
    x = range(len(labels))
    members_ax.bar(x, list(data.active_members), color=ACCENT, width=0.6)
    members_ax.set_title("Active members per week", fontsize=9, color=INK, loc="left")
    members_ax.set_xticks(x, labels, rotation=45)
    members_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _style(members_ax)
    hours_ax.bar(x, list(data.focus_hours), color=GREEN, width=0.6, label="focus hours")
    hours_ax.plot(x, list(data.sprints), color=INK, marker="o", linewidth=1.2, label="sprints")
    hours_ax.set_title("Focus hours and sprints per week", fontsize=9, color=INK, loc="left")
    hours_ax.set_xticks(x, labels, rotation=45)
    hours_ax.legend(fontsize=7, frameon=False, loc="upper left")
    _style(hours_ax)
    matrix = [[data.busiest.get((day, hour), 0.0) for hour in range(24)] for day in range(7)]
    image = heat_ax.imshow(matrix, aspect="auto", cmap="Blues", interpolation="nearest")
    heat_ax.set_title(
        f"Busiest hours (focus minutes, {data.zone})", fontsize=9, color=INK, loc="left"
    )
    heat_ax.set_yticks(range(7), DAYS)
    heat_ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    heat_ax.tick_params(labelsize=8, colors=INK)
    fig.colorbar(image, ax=heat_ax, fraction=0.03, pad=0.01)
    return _png(fig)
