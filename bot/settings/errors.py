"""The one error configuration raises: every problem, each worded for the file's author."""

from __future__ import annotations


class ConfigError(Exception):
    """Configuration problems, each worded for the person who wrote the file.

    ``problems`` lists every sentence (a file with three mistakes gets three); ``str()`` is them
    one per line.
    """

    def __init__(self, *problems: str) -> None:
        self.problems: tuple[str, ...] = problems
        super().__init__("\n".join(problems))

    def describe(self) -> str:
        """``Configuration error: …`` for one problem; a numbered list for several."""
        if len(self.problems) == 1:
            return f"Configuration error: {self.problems[0]}"
        lines = [f"Configuration errors ({len(self.problems)}):"]
        lines += [f"  {n}. {problem}" for n, problem in enumerate(self.problems, start=1)]
        return "\n".join(lines)
