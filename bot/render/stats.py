"""Discord JSON for /stats, /leaderboard and /privacy (pure: view types in, embeds out).

Members on the leaderboard are shown as user mentions; replies are sent with no pings allowed,
so a mention only shows a name. Times are Discord timestamps (each member sees their own zone).
"""

from __future__ import annotations

from typing import Any

from bot.domain.privacy import FORMER_MEMBER, ForgetResult, StoredSummary
from bot.domain.stats import LeaderboardView, MemberStats, Metric, Period, Ranked, ServerStats
from bot.domain.text import escape_markdown, truncate
from bot.domain.weeks import week_label
from bot.render.wire import ts

__all__ = [
    "forget_done_text",
    "forget_prompt_text",
    "leaderboard_embed",
    "member_embed",
    "privacy_embed",
    "server_embed",
]

BLURPLE = 0x5865F2
GREEN = 0x3BA55C


def _minutes(value: int) -> str:
    if value < 60:
        return f"{value} min"
    hours, minutes = divmod(value, 60)
    return f"{hours} h {minutes:02d} min"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def member_embed(stats: MemberStats, chart_name: str | None = None) -> dict[str, Any]:
    """/stats me: a few lines and the chart below them."""
    share = f" ({stats.share_done:.0%})" if stats.share_done is not None else ""
    days, weeks = stats.day_streak, stats.week_streak
    sessions = ""
    if stats.sessions_going:
        rate = stats.sessions_came / stats.sessions_going
        sessions = (
            f"\n🗓 **Sessions**: showed up to {stats.sessions_came} of the "
            f"{_plural(stats.sessions_going, 'session')} you said Going to ({rate:.0%})"
        )
    embed: dict[str, Any] = {
        "title": "📈 Your progress",
        "color": BLURPLE,
        "description": (
            f"⏱ **Focus**: {_minutes(stats.focus_week)} this week · "
            f"{_minutes(stats.focus_month)} this month · {_minutes(stats.focus_all)} in all\n"
            f"🏃 **Sprints joined**: {stats.sprints_joined}{sessions}\n"
            f"🎯 **Goals**: {stats.goals_done} of {stats.goals_set} done{share}\n"
            f"🔥 **Sprint days in a row**: {days.current} (best {days.best})\n"
            f"📅 **Weeks in a row with a goal done**: {weeks.current} (best {weeks.best})"
        ),
        "footer": {"text": f"Days and weeks in {stats.zone} · only you can see this"},
    }
    if chart_name:
        embed["image"] = {"url": f"attachment://{chart_name}"}
    return embed


def server_embed(stats: ServerStats, chart_name: str | None = None) -> dict[str, Any]:
    """/stats server: this week against last week, and the chart."""
    this, last = -1, -2
    busiest = max(stats.busiest.items(), key=lambda kv: kv[1], default=None)
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    busy = (
        f"{days[busiest[0][0]]}s {busiest[0][1]:02d}:00–{(busiest[0][1] + 1) % 24:02d}:00"
        if busiest
        else "not enough sprints yet"
    )
    lines = [
        f"👥 **Active members**: {stats.active_members[this]} this week "
        f"({stats.active_members[last]} last week)",
        f"🏃 **Sprints**: {stats.sprints[this]} this week ({stats.sprints[last]} last week)",
        f"⏱ **Focus hours**: {stats.focus_hours[this]:g} this week "
        f"({stats.focus_hours[last]:g} last week)",
        f"🕒 **Busiest hour** ({stats.zone}): {busy}",
        f"🗓 {week_label(stats.weeks[0])} to today: {_plural(stats.members_ever, 'member')} "
        "took part",
    ]
    lines += _series_lines(stats)
    embed: dict[str, Any] = {
        "title": "📊 Server activity",
        "color": GREEN,
        "description": "\n".join(lines),
    }
    if chart_name:
        embed["image"] = {"url": f"attachment://{chart_name}"}
    return embed


SERIES_SHOWN = 5


def _series_lines(stats: ServerStats) -> list[str]:
    """Attendance of each standing-session series over the report's weeks (the top few)."""
    if not stats.series:
        return []
    lines = ["**Standing sessions** (since " + week_label(stats.weeks[0]) + "):"]
    for a in stats.series[:SERIES_SHOWN]:
        rate = f", {a.show_up:.0%} of Going showed up" if a.show_up is not None else ""
        lines.append(
            f"• {escape_markdown(truncate(a.title, 60))}: {_plural(a.held, 'session')}, "
            f"{_plural(a.attendees, 'attendance')}{rate}"
        )
    if len(stats.series) > SERIES_SHOWN:
        lines.append(f"…and {len(stats.series) - SERIES_SHOWN} more")
    return lines


def _value(metric: Metric, value: int) -> str:
    return _minutes(value) if metric is Metric.FOCUS else _plural(value, "goal")


def _row(row: Ranked, metric: Metric, viewer: int) -> str:
    medal = {1: "🥇", 2: "🥈", 3: "🥉"}.get(row.rank, f"`#{row.rank}`")
    who = f"<@{row.user_id}>" if row.user_id > 0 else FORMER_MEMBER
    mark = " ← you" if row.user_id == viewer else ""
    return f"{medal} {who} · {_value(metric, row.value)}{mark}"


def leaderboard_embed(view: LeaderboardView, viewer: int) -> dict[str, Any]:
    what = "focus time" if view.metric is Metric.FOCUS else "goals done"
    when = "this week" if view.period is Period.WEEK else "this month"
    lines = [_row(r, view.metric, viewer) for r in view.window.top]
    if view.window.around:
        lines.append("…")
        lines.extend(_row(r, view.metric, viewer) for r in view.window.around)
    footer = (
        f"{view.window.total} member(s) opted in · /leaderboard leave removes you at once"
        if view.viewer_opted_in
        else f"{view.window.total} member(s) opted in · you're not on it: /leaderboard join"
    )
    return {
        "title": f"🏆 Leaderboard · {what} {when}",
        "color": BLURPLE,
        "description": "\n".join(lines),
        "footer": {"text": footer},
    }


def privacy_embed(summary: StoredSummary) -> dict[str, Any]:
    """/privacy show: what is stored about the member, in a few lines."""
    kept = [f"• {label}: {n}" for label, n in summary.counts.items() if n]
    lines = kept or ["• nothing at all"]
    state = (
        f"🚫 You asked me not to track you ({ts(summary.untracked_since, 'D')}): I store nothing "
        "new about you. `/privacy track` turns it back on."
        if summary.untracked_since
        else "✅ Tracking is on: sprints, goals and check-ins you take part in are stored."
    )
    extra = []
    if summary.timezone:
        extra.append(f"🕒 Your time zone: {summary.timezone}")
    if summary.last_export_at:
        extra.append(f"📦 Last export: {ts(summary.last_export_at, 'R')}")
    return {
        "title": "🔒 What Sprintbot stores about you",
        "color": BLURPLE,
        "description": "\n".join([*lines, "", state, *extra]),
        "footer": {
            "text": "/privacy export: everything as a JSON file · /privacy forget: delete it"
        },
    }


def forget_prompt_text(summary: StoredSummary) -> str:
    return (
        f"⚠️ This deletes what I store about you ({summary.total} record(s)): your goals, notes, "
        "check-ins, settings and leaderboard places, in every server. In shared records (a "
        f"sprint's head count, its summary) you become “{FORMER_MEMBER}”. Afterwards I store "
        "nothing new about you until you run `/privacy track`. Other members' data stays. "
        "This cannot be undone."
    )


def forget_done_text(result: ForgetResult) -> str:
    return (
        f"🧹 Done: {result.total} record(s) deleted or anonymised. I'll keep nothing new about "
        "you; `/privacy track` turns tracking back on whenever you like."
    )
