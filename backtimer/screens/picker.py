"""The routine picker (``backtimer`` with no command): bundled and user routines, a preview.

Invalid routines are listed with their errors, never hidden and never fatal. ``e`` opens the
highlighted routine in the user's editor (a bundled one is first copied into the user's
routines folder, so the bundled file is never changed) and validates it again on return.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from backtimer import catalog, paths
from backtimer.catalog import Entry
from backtimer.messages import StartRoutine
from backtimer.plan import compile_plan
from backtimer.routine import Routine, format_duration
from backtimer.widgets.keybar import KeyBar
from backtimer.widgets.text import duration_words, literal, plural


def exercise_brief(routine: Routine, index: int, level: str = "low") -> str:
    """ "hold 10s · 2 reps · both sides · 2 sets" at a level."""
    settings = routine.settings(index)
    dose = settings.dose(level)  # type: ignore[arg-type]
    parts: list[str] = []
    if settings.kind == "user_paced":
        parts.append("at your own pace")
    elif settings.kind == "tempo" and settings.tempo is not None:
        parts.append(f"{format_duration(settings.tempo.seconds)} a rep")
    elif dose.breaths is not None:
        parts.append(f"hold {plural(dose.breaths, 'breath')}")
    elif dose.rep_seconds is not None:
        parts.append(f"hold {format_duration(dose.rep_seconds)}")
    if dose.reps > 1:
        parts.append(f"{dose.reps} reps")
    if settings.sides == "both":
        parts.append("both sides")
    if dose.sets > 1:
        parts.append(f"{dose.sets} sets")
    return " · ".join(parts)


def about(seconds: float) -> str:
    """A routine's length in the list: "45 s", "8 min" (the preview has the exact time)."""
    if seconds < 60:
        return f"{round(seconds)} s"
    return f"{round(seconds / 60)} min"


def entry_prompt(entry: Entry) -> Text:
    """How a routine is listed: its name, then its length and where it comes from."""
    if entry.routine is None:
        text = literal(entry.key, "bold")
        text.append("  INVALID", style="bold red")
        first = str(entry.problems[0].message) if entry.problems else "cannot be read"
        count = len(entry.problems)
        more = f" (+{count - 1} more)" if count > 1 else ""
        text.append("\n")
        text.append_text(literal(f"{first}{more}", "dim"))
        return text
    routine = entry.routine
    text = literal(routine.name, "bold")
    text.append("\n")
    meta = f"{about(routine.total_seconds())} · {plural(len(routine.exercises), 'exercise')}"
    if entry.origin != "bundled":
        meta += " · yours" if entry.origin == "user" else " · file"
    text.append(meta, style="dim")
    return text


def preview(entry: Entry, level: str = "low") -> list[Text | Table]:
    """The preview of a routine: what it is, its exercises and plan, or all its errors."""
    if entry.routine is None:
        head = literal(entry.key, "bold")
        head.append(" cannot be run until these are fixed:", style="bold")
        problems = Text()
        for number, problem in enumerate(entry.problems or (), 1):
            if number > 1:
                problems.append("\n")
            problems.append(f"{number}. ", style="bold")
            problems.append_text(literal(str(problem)))
        hint = Text("Press e to edit the file.", style="dim")
        path = literal(catalog.display_path(entry.path), "dim")
        return [head, path, problems, hint]
    routine = entry.routine
    plan = compile_plan(routine, level)  # type: ignore[arg-type]
    low, high = routine.total_seconds("low"), routine.total_seconds("high")
    total = Text(f"About {duration_words(low)}", style="bold")
    if high != low:
        total.append(f" (up to {duration_words(high)} at the high end)", style="")
    total.append(f" · {plural(len(routine.exercises), 'exercise')} · {len(plan.steps)} steps")
    head = literal(routine.name, "bold")
    head.append("\n")
    head.append_text(total)
    out: list[Text | Table] = [head]
    if routine.source is not None:
        source = Text("Source: ", style="dim").append_text(literal(routine.source.title, "dim"))
        if routine.source.publisher:
            source.append_text(literal(f" ({routine.source.publisher})", "dim"))
        out.append(source)
    if routine.description:
        out.append(literal(routine.description))
    for caution in routine.cautions:
        out.append(Text("Caution: ", style="bold").append_text(literal(caution)))
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", style="dim", no_wrap=True)
    table.add_column(ratio=1)
    for index, exercise in enumerate(routine.exercises):
        line = literal(exercise.name, "bold")
        line.append("\n")
        line.append(exercise_brief(routine, index, level), style="dim")
        table.add_row(f"{index + 1}.", line)
    out.append(table)
    return out


class RoutineList(OptionList):
    """The routines; enter starts the highlighted one (and says so in the footer)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Start", id="start_selected", tooltip="Start this routine"),
    ]


class PickerScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "start", "Start", id="start", tooltip="Start the selected routine"),
        Binding("e", "edit", "Edit", id="edit", tooltip="Edit it in $VISUAL or $EDITOR"),
        Binding("q", "quit_app", "Quit", id="quit", tooltip="Quit backtimer"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []

    def compose(self) -> ComposeResult:
        yield Static("backtimer · choose a routine", id="picker-title")
        with Horizontal(id="picker-main"):
            yield RoutineList(id="routines")
            with VerticalScroll(id="preview"):  # tab: scroll a long preview with the keys
                yield Static("", id="preview-body")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_entries()
        self.query_one("#routines", OptionList).focus()

    def refresh_entries(self, keep: Path | None = None) -> None:
        """Read the routines again (every one, valid or not) and keep the selection."""
        option_list = self.query_one("#routines", OptionList)
        if keep is None and self.entries and option_list.highlighted is not None:
            keep = self.entries[option_list.highlighted].path
        self.entries = list(self.app.entries_fn())  # type: ignore[attr-defined]
        option_list.clear_options()
        options: list[Option | None] = []
        for i, entry in enumerate(self.entries):
            if options:
                options.append(None)  # a line between routines (not an option itself)
            options.append(Option(entry_prompt(entry), id=str(i)))
        option_list.add_options(options)
        if not self.entries:
            self.query_one("#preview-body", Static).update(
                Text(
                    "No routines found. Put .toml files in "
                    f"{catalog.display_path(paths.user_routines_dir())}",
                )
            )
            return
        index = 0
        if keep is not None:
            for i, entry in enumerate(self.entries):
                if entry.path == keep:
                    index = i
                    break
        option_list.highlighted = index
        self.show_preview(index)

    @property
    def current(self) -> Entry | None:
        highlighted = self.query_one("#routines", OptionList).highlighted
        if highlighted is None or not 0 <= highlighted < len(self.entries):
            return None
        return self.entries[highlighted]

    def show_preview(self, index: int) -> None:
        if not 0 <= index < len(self.entries):
            return
        from rich.console import Group

        parts = preview(self.entries[index], "low")
        spaced: list[Text | Table] = []
        for part in parts:
            if spaced:
                spaced.append(Text(""))
            spaced.append(part)
        self.query_one("#preview-body", Static).update(Group(*spaced))
        self.query_one("#preview", VerticalScroll).scroll_home(animate=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_preview(event.option_index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        entry = self.current
        if entry is None:
            return
        if entry.routine is None:
            self.notify(
                "This routine has errors (see the preview); press e to edit it",
                severity="error",
            )
            return
        self.post_message(StartRoutine(entry))

    def action_edit(self) -> None:
        entry = self.current
        if entry is None:
            return
        path = entry.path
        if entry.origin == "bundled":
            path = self._user_copy(entry)
            if path is None:
                return
        error = self.app.edit_file(path)  # type: ignore[attr-defined]
        self.app.refresh()
        if error:
            self.notify(error, severity="error", markup=False)
        self.refresh_entries(keep=path)
        edited = catalog.load_entry(path, "user" if entry.origin == "bundled" else entry.origin)
        if edited.problems:
            self.notify(
                f"{plural(len(edited.problems), 'problem')} in {path.name}: see the preview",
                severity="error",
                timeout=6,
            )
        elif not error:
            self.notify(f"{path.name} is valid", timeout=3, markup=False)

    def _user_copy(self, entry: Entry) -> Path | None:
        """A bundled routine is edited as a copy in the user's folder (made once)."""
        target = paths.user_routines_dir() / entry.path.name
        if not target.exists():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(entry.path, target)
            except OSError as exc:
                self.notify(
                    f"Could not copy to {target}: {exc.strerror}", severity="error", markup=False
                )
                return None
            self.notify(
                f"Copied to your routines: {catalog.display_path(target)}",
                timeout=5,
                markup=False,
            )
        return target

    def action_quit_app(self) -> None:
        self.app.exit(0)
