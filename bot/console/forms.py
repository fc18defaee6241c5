"""Forms (modals) the bot opens: showing them, filling them from a line or the prompt."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.localdiscord.commands import CommandRejected
from bot.localdiscord.driver import InteractionFailed, InteractionResult
from bot.localdiscord.models import Member, walk_components

from .display import JSON, ConsoleBase
from .words import ConsoleError, Word, norm, unescape


@dataclass
class Field:
    key: str  # custom_id
    label: str
    paragraph: bool
    required: bool
    min_length: int
    max_length: int
    placeholder: str | None
    value: str | None


@dataclass
class Form:
    actor: Member
    opened: InteractionResult
    title: str
    fields: list[Field]


def modal_fields(modal: JSON) -> list[Field]:
    fields: list[Field] = []

    def add(component: JSON, label: str | None) -> None:
        if component.get("type") != 4:
            return
        fields.append(
            Field(
                key=component.get("custom_id", ""),
                label=label or component.get("label") or component.get("custom_id", "?"),
                paragraph=component.get("style") == 2,
                required=component.get("required", True),
                min_length=component.get("min_length", 0),
                max_length=component.get("max_length", 4000),
                placeholder=component.get("placeholder"),
                value=component.get("value"),
            )
        )

    for top in modal.get("components", []):
        if top.get("type") == 18 and isinstance(top.get("component"), dict):
            add(top["component"], top.get("label"))
        else:
            for component in walk_components([top]):
                add(component, None)
    return fields


def key_hint(f: Field) -> str:
    return f.key if re.fullmatch(r"[\w-]+", f.key) else f'"{f.label}"'


def field_problem(f: Field, value: str) -> str | None:
    if f.required and not value.strip():
        return f"“{f.label}” is required"
    if value and not f.min_length <= len(value) <= f.max_length:
        return f"“{f.label}” takes {f.min_length}–{f.max_length} characters; this is {len(value)}"
    return None


class FormsMixin(ConsoleBase):
    """Waits for the bot's answer; shows the forms it opens and sends them filled in."""

    async def _settle(self, actor: Member, result: InteractionResult, what: str) -> None:
        """Wait for the bot's answer so it is shown before the next prompt."""
        try:
            kind = await result.response(timeout=5)
            if kind == 9:
                await self._opened(actor, result)
            elif kind in (4, 5):
                await result.message(timeout=20)
        except InteractionFailed as exc:
            raise ConsoleError(f"{what}: {exc}") from None

    # -- forms -------------------------------------------------------------------------------

    async def _opened(self, actor: Member, result: InteractionResult) -> None:
        modal = await result.modal()
        fields = modal_fields(modal)
        form = Form(actor, result, modal.get("title", "Form"), fields)
        who = "You" if actor is self.you else actor.user.display_name
        lines = [f"📝 {who} opened a form: “{form.title}”"]
        for f in fields:
            traits = ["several lines" if f.paragraph else "one line"]
            traits.append("required" if f.required else "optional")
            traits.append(
                f"up to {f.max_length} characters"
                if f.min_length <= 1
                else f"{f.min_length}–{f.max_length} characters"
            )
            lines.append(f"   • {f.label} [{f.key}] ({', '.join(traits)})")
            if f.value:
                lines.append(f"     already filled in: {f.value}")
        self.form = form
        if self.interactive and self.tty and self.read_line is not None:
            self.note("\n".join(lines))
            await self._fill_interactively(form)
        else:
            example = " ".join(f'{key_hint(f)}="…"' for f in fields)
            lines.append(f"   fill it in with: modal {example}")
            self.note("\n".join(lines))

    async def _fill_interactively(self, form: Form) -> None:
        assert self.read_line is not None
        values: dict[str, str] = {}
        self.note("   (type the answers; `cancel` closes the form without sending)")
        for f in form.fields:
            while True:
                if f.paragraph:
                    self.note(f"   {f.label} — several lines; an empty line ends it:")
                    collected: list[str] = []
                    while True:
                        line = await self.read_line("   … " if collected else "   > ")
                        if line is None or (not collected and line.strip() == "cancel"):
                            self.form = None
                            self.note("Form closed; nothing was sent.")
                            return
                        if not collected and line.startswith("modal "):
                            await self.run_line(line)
                            return
                        if line == "":
                            break
                        collected.append(line)
                    value = "\n".join(collected)
                else:
                    suffix = "" if f.required else " (optional, Enter to skip)"
                    line = await self.read_line(f"   {f.label}{suffix}: ")
                    if line is None or line.strip() == "cancel":
                        self.form = None
                        self.note("Form closed; nothing was sent.")
                        return
                    if line.startswith("modal "):
                        await self.run_line(line)
                        return
                    value = line
                problem = field_problem(f, value)
                if problem is None:
                    break
                self.error(problem)
            if value:
                values[f.key] = value
        await self._submit(form, values)

    async def modal(self, actor: Member, words: list[Word]) -> None:
        form = self.form
        if form is None:
            raise ConsoleError(
                "no form is open: a button or command opens one (e.g. /goal with no text)"
            )
        values: dict[str, str] = {}
        for word in words:
            split = word.split("=")
            if split is None:
                if len(form.fields) == 1 and not values:
                    values[form.fields[0].key] = unescape(word.text)
                    continue
                raise ConsoleError(
                    f"write modal fields as key=value; this form has: "
                    f"{', '.join(key_hint(f) for f in form.fields)}"
                )
            key, value, _ = split
            values[self._field(form, key).key] = unescape(value)
        if actor is not form.actor and actor is not self.actor:
            raise ConsoleError(f"only {form.actor.user.display_name} can send this form")
        for f in form.fields:
            problem = field_problem(f, values.get(f.key, f.value or ""))
            if problem is not None:
                raise ConsoleError(problem)
        await self._submit(form, values)

    def _field(self, form: Form, key: str) -> Field:
        wanted = norm(key)
        tests: list[Callable[[Field], bool]] = [
            lambda f: key in (f.key, f.label),
            lambda f: wanted in (norm(f.key), norm(f.label)),
        ]
        for test in tests:
            found = [f for f in form.fields if test(f)]
            if found:
                return found[0]
        starts = [f for f in form.fields if norm(f.label).startswith(wanted) and wanted]
        if len(starts) == 1:
            return starts[0]
        names = ", ".join(key_hint(f) for f in form.fields)
        raise ConsoleError(f"the form “{form.title}” has no field {key!r}; fields: {names}")

    async def _submit(self, form: Form, values: dict[str, str]) -> None:
        self.form = None
        self.mark = len(self.events)
        try:
            result = await self.driver.submit_modal(form.actor, form.opened, values)
        except CommandRejected as exc:
            self.form = form
            raise ConsoleError(str(exc)) from None
        await self._settle(form.actor, result, f"the form “{form.title}”")
