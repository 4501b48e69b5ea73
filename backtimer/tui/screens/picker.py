"""The routine picker (``backtimer`` with no command): bundled and user routines, a preview.

Invalid routines are listed with their errors, never hidden and never fatal. ``e`` opens the
highlighted routine in the user's editor (a bundled one is first copied into the user's
routines folder, so the bundled file is never changed) and validates it again on return;
``n`` creates a new routine from the commented template (or as a copy of the highlighted
one); ``h`` shows the history; ``s`` the settings.

The preview shows each exercise with ranges at its current level, read from the history
(opened read only: the picker never creates a file). Every 1.5 s the picker compares the
listed files' modification time, size and inode (up to :attr:`PickerScreen.WATCH_BATCH` files
each time, in turn, and always the highlighted one), and its folders' lists of ``.toml``
files (listed again only when a folder's own stamp moved), with what it last read: a changed
file is read again (its errors shown if it no longer validates), a file added or removed
reloads the list; the selection stays.

The first frame only needs the list: routines unchanged since they were last checked come
from the cache (see :mod:`backtimer.files.catalog`), the others are listed as being checked
and checked just after it, a slice at a time; the current levels are read from the history
after that (until then, lengths are shown at the low end).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Group
from rich.segment import Segment, Segments
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.visual import RenderOptions, RichVisual
from textual.widgets import Button, Checkbox, Input, OptionList, Static
from textual.widgets.option_list import Option

from backtimer.core.durations import compact, compact_range, short
from backtimer.core.plan import compile_plan
from backtimer.core.progression import routine_has_ranges
from backtimer.core.routine import Level, LevelChoice, Routine
from backtimer.files import catalog, paths, precheck
from backtimer.files.catalog import Entry
from backtimer.files.config import Config
from backtimer.files.routine_load import RoutineError
from backtimer.tui.keys import bindings
from backtimer.tui.messages import SettingsSaved, StartRoutine
from backtimer.tui.screens import DrawnAfterStartUp, OwnStyles, StyledAtMount, preset_breakpoints
from backtimer.tui.widgets.keybar import KeyBar
from backtimer.tui.widgets.text import literal, plural
from backtimer.tui.widgets.tickbox import TickBox


def exercise_brief(routine: Routine, index: int, level: Level = "low") -> str:
    """ "hold 10s · 2 reps · both sides · 2 sets" at a level; a range is shown after the
    value it is at: "hold 15s (10-30s) · 2 reps (2-3)"."""
    settings = routine.settings(index)
    choice = level if isinstance(level, str) else level.get(index, LevelChoice())
    dose = settings.dose(choice)
    hold_range = ""
    if settings.kind == "hold" and settings.hold is not None and settings.hold.span.is_range:
        span = settings.hold.span
        hold_range = (
            f" ({span})"
            if settings.hold.unit == "breaths"
            else f" ({compact_range(span.low, span.high)})"
        )
    parts: list[str] = []
    if settings.kind == "user_paced":
        parts.append("at your own pace")
    elif settings.kind == "tempo" and settings.tempo is not None:
        parts.append(f"{compact(settings.tempo.seconds)} a rep")
    elif dose.breaths is not None:
        parts.append(f"hold {plural(dose.breaths, 'breath')}{hold_range}")
    elif dose.rep_seconds is not None:
        parts.append(f"hold {compact(dose.rep_seconds)}{hold_range}")
    if dose.reps > 1 or settings.reps.is_range:
        parts.append(
            plural(dose.reps, "rep") + (f" ({settings.reps})" if settings.reps.is_range else "")
        )
    if settings.sides == "both":
        parts.append("both sides")
    if dose.sets > 1 or settings.sets.is_range:
        parts.append(
            plural(dose.sets, "set") + (f" ({settings.sets})" if settings.sets.is_range else "")
        )
    return " · ".join(parts)


def about(seconds: float) -> str:
    """A routine's own times in the list: "45 s", "8 min" (the preview has the exact time,
    and how long the session lasts with its words)."""
    if seconds < 60:
        return f"{round(seconds)} s"
    return f"{round(seconds / 60)} min"


def entry_prompt(entry: Entry, level: Level = "low") -> Text:
    """How a routine is listed: its name, then its length and where it comes from."""
    if entry.pending and entry.listing is None:
        return literal(entry.key, "bold").append("\nchecking…", style="dim")
    if entry.routine is None and entry.listing is None:
        # A space begins no run of text after another one on its line: an SVG of the screen
        # drawn by rsvg-convert drops it ("brokenINVALID"); it ends the run before.
        text = literal(entry.key, "bold").append("  ")
        text.append("INVALID", style="bold red")
        first = str(entry.problems[0].message) if entry.problems else "cannot be read"
        count = len(entry.problems)
        more = f" (+{count - 1} more)" if count > 1 else ""
        text.append("\n")
        text.append_text(literal(f"{first}{more}", "dim"))
        return text
    if entry.routine is not None:
        routine = entry.routine
        name, count, seconds = routine.name, len(routine.exercises), routine.total_seconds(level)
    else:  # listed from the cache: as it was when its file last passed, at the low end
        assert entry.listing is not None
        name, count, seconds = entry.listing
    text = literal(name, "bold")
    text.append("\n")
    # The routine's own times, said so: the preview's headline (and `list`) is the session
    # with its words, longer ("About 11 min 1 s with its words (7 min 54 s of exercise)").
    meta = f"{about(seconds)} of exercise · {plural(count, 'exercise')}"
    if entry.origin != "bundled":
        meta += " · yours" if entry.origin == "user" else " · file"
    text.append(meta, style="dim")
    return text


def preview(
    entry: Entry,
    level: Level = "low",
    *,
    levels_note: str | None = None,
    spoken: float | None = None,
) -> list[Text | Table]:
    """The preview of a routine: what it is, its exercises and plan, or all its errors.

    ``level``: the current levels (from the history), or "low"/"high". ``levels_note``:
    why the history could not be read (the low end is shown). ``spoken``: how long the
    session lasts with its words at ``level`` (see :mod:`backtimer.session.length`), or
    None where it is not known yet or nothing is said (the routine's own times alone)."""
    if entry.routine is None:
        head = literal(entry.key, "bold").append(" ")
        head.append("cannot be run until these are fixed:", style="bold")
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
    plan = compile_plan(routine, level)
    low, high = routine.total_seconds("low"), routine.total_seconds("high")
    now = routine.total_seconds(level)
    if spoken is None:
        total = Text(f"About {short(now)}", style="bold")
        if now != low:
            total.append(" at your current levels", style="")
        if high != now:
            total.append(f" (up to {short(high)} at the high end)", style="")
    else:
        total = Text(f"About {short(spoken)} with its words", style="bold")
        own = f"{short(now)} of exercise"
        if now != low:
            own += " at your current levels"
        if high != now:
            own += f", up to {short(high)} at the high end"
        total.append(f" ({own})", style="")
    total.append(f" · {plural(len(routine.exercises), 'exercise')} · {len(plan.steps)} steps")
    head = literal(routine.name, "bold")
    head.append("\n")
    head.append_text(total)
    out: list[Text | Table] = [head]
    if routine.source is not None:
        # One run of text: " (publisher)" as a run of its own began with a space, which an
        # SVG of the screen drawn by rsvg-convert drops ("Back Pain(Unnamed").
        cited = routine.source.title
        if routine.source.publisher:
            cited += f" ({routine.source.publisher})"
        source = Text("Source: ", style="dim").append_text(literal(cited, "dim"))
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
    if routine_has_ranges(routine):
        if levels_note:
            note = Text("Levels: the history cannot be read (", style="dim")
            note.append_text(literal(levels_note, "dim")).append("); the low end is shown.")
        else:
            note = Text(
                "Ranges (in brackets) start at the low end; after sessions without pain, "
                "backtimer offers to step up, and a pain stop steps down.",
                style="dim",
            )
        out.append(note)
    return out


class PreviewVisual(RichVisual):
    """The preview (a Group of Rich Texts and a Table) as Textual draws a Rich renderable,
    rendered once for a width: Textual renders it to find its height at a width, and again
    to draw it at that width (and the first frame finds the height twice, without and with
    the scroll bar). Here the drawing reuses what the height was found from, styled as
    Textual styles a renderable (Widget.post_render); the renderables of the preview draw
    the same whatever height they are given."""

    def __init__(self, widget: Any, renderable: Group) -> None:
        super().__init__(widget, renderable)
        self._rendered: tuple[int, list[Segment]] | None = None

    def _render_at(self, width: int) -> list[Segment]:
        if self._rendered is None or self._rendered[0] != width:
            app = self._widget.app
            options = app.console_options.update_width(width).update(highlight=False)
            self._rendered = (width, list(app.console.render(self._renderable, options)))
        return self._rendered[1]

    def get_height(self, rules: Any, width: int) -> int:
        return sum(text.count("\n") for text, _, _ in self._render_at(width))

    def render_strips(
        self, width: int, height: int | None, style: Any, options: RenderOptions
    ) -> list[Strip]:
        app = self._widget.app
        console_options = app.console_options.update(highlight=False, width=width, height=height)
        styled = self._widget.post_render(Segments(self._render_at(width)), style.rich_style)
        segments = app.console.render(styled, console_options.update_width(width))
        return [
            Strip(line)
            for line in islice(
                Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=False),
                None,
                height,
            )
        ]


class RoutineList(OptionList):
    """The routines; enter starts the highlighted one (and says so in the footer)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("routine_list")


Stamp = tuple[int, int, int] | None


def file_stamp(path: Path) -> Stamp:
    """What tells a changed file apart: modification time (ns), size and inode (an atomic
    save replaces the inode); None for a file that cannot be read."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


#: A folder changed this recently (seconds) is listed again even if its stamp is the same:
#: a file added in the same tick of a coarse clock leaves the stamp as it was.
RECENT = 2.0


def folder_stamp(folder: Path) -> Stamp:
    """A folder's modification time (ns), size and inode: a file added, removed or renamed
    in it changes the time (None: no such folder)."""
    return file_stamp(folder)


def toml_listing(folder: Path) -> tuple[str, ...] | None:
    """The ``.toml`` names in a folder (None: no such folder)."""
    try:
        with os.scandir(folder) as found:
            return tuple(sorted(e.name for e in found if e.name.endswith(".toml")))
    except (OSError, ValueError):
        return None


class PickerScreen(OwnStyles, DrawnAfterStartUp, StyledAtMount, Screen[None]):
    STYLES_PATH = "picker.tcss"  # its rules, added when the picker is first shown
    #: Seconds between two looks at the routine files (a few stat calls each time).
    WATCH_INTERVAL: ClassVar[float] = 1.5
    #: Files looked at each time, in turn (a long list is gone through over a few looks).
    WATCH_BATCH: ClassVar[int] = 25
    #: Seconds between two looks at a child checking the routines (files.precheck) that is
    #: not done with the next one yet, after the first frame.
    CHILD_POLL = 0.05
    #: Seconds of checking routine files between two frames, after the first one.
    CHECK_SLICE: ClassVar[float] = 0.04
    #: Routines listed in the first frame at most (as many as the terminal's height shows);
    #: the others are added just after it.
    FIRST_FRAME_ENTRIES: ClassVar[int] = 60

    BINDINGS: ClassVar[list[BindingType]] = bindings("picker")

    def __init__(
        self,
        *,
        entries: Callable[[], list[Entry]] = catalog.listed_entries,
        edit: Callable[[Path], str | None] | None = None,
        data_dir: Path | None = None,
        watch_interval: float | None = None,
    ) -> None:
        """``entries``: reads the routines (every one, valid or not); ``edit``: opens a file
        in the user's editor and returns an error or None (the app suspends itself around
        it); ``data_dir``: the history's folder, for levels and the history screen."""
        super().__init__()
        self.entries_fn = entries
        self.edit = edit
        self.entries: list[Entry] = []
        self.levels: dict[Path, dict[int, LevelChoice]] = {}  # current levels, by file
        self.levels_note: str | None = None  # why the history could not be read
        self.data_dir = data_dir
        self.watch_interval = self.WATCH_INTERVAL if watch_interval is None else watch_interval
        self.reloads = 0  # files read again after a change on disk (for tests)
        self._stamps: dict[Path, Stamp] = {}
        self._listings: dict[Path, tuple[str, ...] | None] = {}
        self._folder_stamps: dict[Path, Stamp] = {}  # when each listing was read
        self._entry_folders: set[Path] = set()  # the folders of the entries listed
        self._listed = 0  # entries with an option in the list (the others: after the frame)
        self.listings_read = 0  # folders listed again by the watch (for tests)
        self._watch: Timer | None = None
        self._watch_next = 0  # the next file the interval looks at
        self._deferred_due = False  # checks and levels to do after the next frame
        self._frame_done = False  # the work after the first frame is done
        self._shown = False  # a frame of this screen has been drawn (see _after_frame)
        # A routine's spoken length: (routine, config, level, seconds), found once.
        self._spoken: dict[Path, tuple[Routine, Config, Level, float]] = {}
        self._settings: Config | None = None  # saved on the settings screen opened here
        self._cache: catalog.RoutineCache | None = None
        #: What the preview shows: (index, entry, level, levels note, spoken seconds).
        self._previewed: tuple[Any, ...] | None = None

    def compose(self) -> ComposeResult:
        preset_breakpoints(self)  # before the widgets' styles: no restyle at the first resize
        yield Static("backtimer · choose a routine", id="picker-title")
        with Horizontal(id="picker-main"):
            yield RoutineList(id="routines")
            with VerticalScroll(id="preview"):  # tab: scroll a long preview with the keys
                yield Static("", id="preview-body")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show_sound_warning()
        self.refresh_entries()
        self.query_one("#routines", OptionList).focus()
        if self.watch_interval:
            self._watch = self.set_interval(
                self.watch_interval, self._watch_files, name="picker-watch"
            )

    def show_sound_warning(self) -> None:
        """The title says so when the voice is on and nothing can speak."""
        warning = getattr(self.app, "sound_warning", None)
        title = "backtimer · choose a routine"
        if callable(warning) and warning():
            title += " · NO VOICE: nothing can speak here, see 'backtimer sound'"
        self.query_one("#picker-title", Static).update(Text(title))

    def on_screen_resume(self) -> None:
        self.show_sound_warning()  # the settings may have changed the voice
        if self.entries or self._listings:
            self.check_files()  # back from a session, the editor, settings: catch up now

    # ------------------------------------------------------------------ levels

    def _history_dir(self) -> Path | None:
        return self.data_dir

    def load_levels(self, entries: list[Entry]) -> None:
        """Read the current levels of ``entries`` (those with ranges) from the history,
        read only; a history that cannot be read leaves the low end and a note."""
        wanted = [e for e in entries if e.routine is not None and routine_has_ranges(e.routine)]
        for entry in entries:
            self.levels.pop(entry.path, None)
        if not wanted:
            return
        # Loaded here, after the first frame (the history's code is not needed before it).
        from backtimer.history.db import HistoryUnavailable, open_history
        from backtimer.history.levels import current_levels_of

        # As the level offer of a run uses it.
        sessions = (self._config() or Config()).progression_sessions
        try:
            with open_history(self._history_dir(), create=False) as db:
                found = current_levels_of(db, wanted, sessions)  # one read for them all
        except HistoryUnavailable as exc:
            self.levels_note = exc.message
        else:
            self.levels_note = None
            for entry, levels in zip(wanted, found, strict=True):
                self.levels[entry.path] = levels

    def level_of(self, entry: Entry) -> Level:
        return self.levels.get(entry.path, "low")

    # ------------------------------------------------------------------ the list

    def refresh_entries(self, keep: Path | None = None) -> None:
        """Read the routines again (every one, valid or not) and keep the selection; the
        files not checked yet and the levels are seen to after the next frame."""
        option_list = self.query_one("#routines", OptionList)
        if keep is None and self.entries and option_list.highlighted is not None:
            keep = self.entries[option_list.highlighted].path
        self.entries = list(self.entries_fn())
        self._entry_folders = {entry.path.parent for entry in self.entries}
        self.levels.clear()
        # A file's stamp is taken when it is read: a pending one's when it is checked.
        self._stamps = {e.path: file_stamp(e.path) for e in self.entries if not e.pending}
        self._folder_stamps = {folder: folder_stamp(folder) for folder in self._folders()}
        self._listings = {folder: toml_listing(folder) for folder in self._folders()}
        option_list.clear_options()
        index = 0
        if keep is not None:
            for i, entry in enumerate(self.entries):
                if entry.path == keep:
                    index = i
                    break
        # The first frame lists as many routines as a screen shows (each takes two lines or
        # more); the others are added just after it (a long list's lines are worked out
        # option by option).
        first = len(self.entries)
        shown = min(self.FIRST_FRAME_ENTRIES, self.app.size.height // 2 + 1)
        if index < shown:
            first = min(first, shown)
        option_list.add_options(self._options(0, first))
        self._listed = first
        if not self.entries:
            self._previewed = None
            self.query_one("#preview-body", Static).update(
                Text(
                    "No routines found. Put .toml files in "
                    f"{catalog.display_path(paths.user_routines_dir())}, or press n to "
                    "create one.",
                )
            )
            return
        option_list.highlighted = index
        # Before the first frame the highlighted routine is waited for (a child checking it
        # beside this process, see files.precheck); after it, nothing waits for the child.
        self._check(index, wait=not self._drawn)
        self.show_preview(index)
        if not self._deferred_due:
            self._deferred_due = True
            if self.app.screen is self and not self._drawn:
                # Shown first, at the app's start: the first frame is written once the
                # start-up is over (see DrawnAfterStartUp), and the work starts after it.
                # (A callback "after the refresh" may come before: inside the start-up,
                # the screen's callbacks come at once, and the routines were checked
                # before anything was seen.)
                self.when_drawn.append(self._drawn_first)
            else:
                self.call_after_refresh(self._after_frame)

    def _options(self, start: int, end: int) -> list[Option | None]:
        """The options of entries ``start`` to ``end``, each after a line (not an option
        itself) that separates it from the one before."""
        options: list[Option | None] = []
        for i in range(start, end):
            if i:
                options.append(None)
            entry = self.entries[i]
            options.append(Option(entry_prompt(entry, self.level_of(entry)), id=str(i)))
        return options

    def _list_the_rest(self) -> None:
        """Add the routines the first frame did without."""
        if self._listed < len(self.entries):
            start, self._listed = self._listed, len(self.entries)
            self.query_one("#routines", OptionList).add_options(
                self._options(start, len(self.entries))
            )

    def _show_prompt(self, index: int) -> None:
        """Entry ``index``'s line again (if it is listed yet: else it is made when it is)."""
        if index < self._listed:
            entry = self.entries[index]
            option_list = self.query_one("#routines", OptionList)
            prompt = entry_prompt(entry, self.level_of(entry))
            if option_list.get_option(str(index)).prompt != prompt:  # else: no new lines
                option_list.replace_option_prompt(str(index), prompt)

    def _check(self, index: int, *, wait: bool = False) -> Entry:
        """Entry ``index``, checked now if it was only listed. ``wait``: for a child that is
        checking it (files.precheck), as long as it takes; else one that is not done with it
        is not waited for (the screen stays live): it is checked here at once."""
        entry = self.entries[index]
        if entry.pending:
            if self._cache is None:
                self._cache = catalog.RoutineCache()
            self._stamps[entry.path] = file_stamp(entry.path)  # before reading it
            entry = catalog.check_entry(entry, self._cache, wait=wait)
            self._show_entry(index, entry)
        return entry

    def _show_entry(self, index: int, entry: Entry) -> None:
        old, self.entries[index] = self.entries[index], entry
        if (
            old.listing is not None
            and entry.listing == old.listing
            and entry.path not in self.levels
        ):
            return  # its line is the same (read as listed from the cache)
        self._show_prompt(index)

    def _drawn_first(self) -> None:
        """The screen's first frame is written: the work it did without comes next."""
        self._shown = True
        self.call_after_refresh(self._after_frame)

    def _after_frame(self) -> None:
        """The work the first frame did without: check the files that were only listed
        (a slice at a time, the screen stays live), then read the levels."""
        if not self.is_mounted:
            return
        if not self._shown:
            # The app's start-up draws the screen's first frame in a batch, which is not
            # written to the terminal: the callbacks "after the refresh" would come before
            # anything is seen. Draw it once more (written, now) and start after that.
            self._shown = True
            self.refresh()
            self.call_after_refresh(self._after_frame)
            return
        self._list_the_rest()
        started = time.monotonic()
        for index, entry in enumerate(self.entries):
            if entry.pending:
                if precheck.pending(entry.path):
                    # The child checking the routines has not said this one is done: asked
                    # again in a moment, the keys handled meanwhile (a child that hangs is
                    # stopped by then, and what is left is checked here).
                    self.set_timer(self.CHILD_POLL, self._after_frame)
                    return
                self._check(index)
                if time.monotonic() - started > self.CHECK_SLICE:
                    self.call_later(self._after_frame)  # after the events waiting
                    return
        self._deferred_due = False
        if self._cache is not None:
            self._cache.save()
            self._cache = None
        self.load_levels(self.entries)
        option_list = self.query_one("#routines", OptionList)
        for index, entry in enumerate(self.entries):
            if entry.path in self.levels:
                self._show_prompt(index)
        self._frame_done = True
        if option_list.highlighted is not None:
            self.show_preview(option_list.highlighted, scroll_home=False)

    def spoken_seconds(self, entry: Entry, level: Level) -> float | None:
        """How long ``entry``'s session lasts with its words (estimated, as ``list`` does),
        once the first frame's work is done (it takes a few milliseconds a routine); None
        before, for a routine with errors, or with the voice off."""
        config = self._config()
        if not self._frame_done or entry.routine is None or config is None:
            return None
        if not config.voice:
            return None
        known = self._spoken.get(entry.path)
        if (
            known is not None
            and known[0] is entry.routine
            and known[1] is config
            and known[2] == level
        ):
            return known[3]
        from backtimer.session.length import session_length_for

        seconds = session_length_for(config)(entry.routine, level)
        self._spoken[entry.path] = (entry.routine, config, level, seconds)
        return seconds

    # ------------------------------------------------------------------ watching

    def _folders(self) -> list[Path]:
        """The folders to watch for files added or removed (the entries' folders are worked
        out when the list is read, not at every look: 300 paths' parents took most of it)."""
        return sorted(self._entry_folders | {paths.user_routines_dir()})

    @property
    def in_view(self) -> bool:
        """On top, or under dialogs only (not under a session, the history, settings)."""
        stack = self.app.screen_stack
        if self not in stack:
            return False
        above = stack[stack.index(self) + 1 :]
        return all(isinstance(screen, ModalScreen) for screen in above)

    def _watch_files(self) -> None:
        self.check_files(limit=self.WATCH_BATCH)

    def check_files(self, limit: int | None = None) -> None:
        """Reload what changed on disk since it was read (see the module's docstring): every
        file, or ``limit`` of them in turn and the highlighted one."""
        if not self.is_mounted or not self.in_view:
            return
        if self._folders_changed():
            self.refresh_entries()
            return
        count = len(self.entries)
        indexes: list[int] = list(range(count))
        if limit is not None and count > limit:
            start = self._watch_next % count
            indexes = [(start + i) % count for i in range(limit)]
            self._watch_next = (start + limit) % count
            highlighted = self.query_one("#routines", OptionList).highlighted
            if highlighted is not None and highlighted not in indexes:
                indexes.append(highlighted)
        for index in indexes:
            entry = self.entries[index]
            if entry.pending:
                continue  # not read yet: it is when it is checked (after the first frame)
            if file_stamp(entry.path) != self._stamps.get(entry.path):
                self.reload_entry(index)

    def _folders_changed(self) -> bool:
        """Whether a ``.toml`` file was added to or removed from a watched folder. A folder
        is listed again only when its stamp moved (or it changed too recently to tell):
        a few stat calls on an idle picker, however many routines it lists."""
        now = time.time_ns()
        for folder in self._folders():
            stamp = folder_stamp(folder)
            known = folder in self._listings
            recent = stamp is not None and now - stamp[0] < RECENT * 1e9
            if known and stamp == self._folder_stamps.get(folder) and not recent:
                continue
            self.listings_read += 1
            self._folder_stamps[folder] = stamp
            if toml_listing(folder) != self._listings.get(folder):
                return True
        return False

    def reload_entry(self, index: int) -> Entry:
        """Read one routine file again; show it, and say if it stopped or started being valid."""
        old = self.entries[index]
        self._stamps[old.path] = file_stamp(old.path)
        entry = catalog.load_entry(old.path, old.origin)
        self.entries[index] = entry
        self.reloads += 1
        self.load_levels([entry])
        self._show_prompt(index)
        option_list = self.query_one("#routines", OptionList)
        if option_list.highlighted == index:
            self.show_preview(index, scroll_home=False)
        name = old.path.name
        if entry.problems:
            self.notify(
                f"{name} changed and has {plural(len(entry.problems), 'problem')}: see the preview",
                severity="error",
                timeout=6,
                markup=False,
            )
        else:
            self.notify(f"{name} changed on disk: read again", timeout=3, markup=False)
        return entry

    # ------------------------------------------------------------------ preview

    @property
    def current(self) -> Entry | None:
        highlighted = self.query_one("#routines", OptionList).highlighted
        if highlighted is None or not 0 <= highlighted < len(self.entries):
            return None
        return self._check(highlighted)

    def show_preview(self, index: int, *, scroll_home: bool = True) -> None:
        if not 0 <= index < len(self.entries):
            return
        entry = self._check(index)
        level = self.level_of(entry)
        spoken = self.spoken_seconds(entry, level)
        self._previewed = (index, entry, level, self.levels_note, spoken)
        parts = preview(entry, level, levels_note=self.levels_note, spoken=spoken)
        spaced: list[Text | Table] = []
        for part in parts:
            if spaced:
                spaced.append(Text(""))
            spaced.append(part)
        body = self.query_one("#preview-body", Static)
        body.update(PreviewVisual(body, Group(*spaced)))
        if scroll_home:
            self.query_one("#preview", VerticalScroll).scroll_home(animate=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        if self._previewed is not None and 0 <= index < len(self.entries):
            # Shown already (refresh_entries shows the routine it highlights, and the list
            # then says so): not made and drawn again.
            index_, entry, level, note, spoken = self._previewed
            if (
                index_ == index
                and entry is self.entries[index]
                and level == self.level_of(entry)
                and note == self.levels_note
                and spoken == self.spoken_seconds(entry, level)
            ):
                return
        self.show_preview(index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_start()

    # ------------------------------------------------------------------ actions

    def action_start(self) -> None:
        self._start()

    def action_start_remote(self) -> None:
        """Start it with the phone remote: its address and QR code come first."""
        self._start(remote=True)

    def _start(self, *, remote: bool = False) -> None:
        entry = self.current
        if entry is None:
            return
        if entry.routine is None:
            self.notify(
                "This routine has errors (see the preview); press e to edit it",
                severity="error",
            )
            return
        self.post_message(StartRoutine(entry, remote=remote))

    def action_edit(self) -> None:
        entry = self.current
        if entry is None:
            return
        path = self._user_copy(entry) if entry.origin == "bundled" else entry.path
        if path is None:
            return
        if self.edit is None:
            self.notify("Editing is not available here", severity="error")
            return
        error = self.edit(path)
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
        from backtimer.files import editing  # when editing: not for the first frame

        target = editing.user_copy_path(entry.path)
        if not target.exists():
            try:
                editing.copy_to_user(entry.path)
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

    def action_new(self) -> None:
        def created(result: tuple[Path, list[str]] | None) -> None:
            if result is None:
                return
            path, notes = result
            self.refresh_entries(keep=path)
            message = f"Created {catalog.display_path(path)}; press e to edit it"
            for note in notes:
                message += f"\n({note})"
            self.notify(message, timeout=6, markup=False)

        self.app.push_screen(NewRoutineScreen(self.current), created)

    def action_history(self) -> None:
        # The history and settings screens are imported when opened: the first frame of the
        # picker does without them (and their imports).
        from backtimer.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(data_dir=self._history_dir()))

    def action_settings(self) -> None:
        def saved(config: Config | None) -> None:
            if config is not None:
                self.post_message(SettingsSaved(config))

        from backtimer.tui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen(), saved)

    def _config(self) -> Config | None:
        """The settings now: those saved on the settings screen opened here, else the
        app's (None: an app without them)."""
        config = self._settings or getattr(self.app, "config", None)
        return config if isinstance(config, Config) else None

    def on_settings_saved(self, message: SettingsSaved) -> None:
        """New voice settings change how long a session lasts with its words: the preview
        shows it at once (the message goes on to the app, which applies the settings)."""
        self._settings = message.config
        option_list = self.query_one("#routines", OptionList)
        if option_list.highlighted is not None:
            self.show_preview(option_list.highlighted, scroll_home=False)

    def action_quit_app(self) -> None:
        self.app.exit(0)


class NewRoutineScreen(ModalScreen[tuple[Path, list[str]] | None]):
    """Ask for a name, create ``<user routines>/NAME.toml`` (from the commented template, or
    as a copy of the highlighted routine), and dismiss with its path and notes. A name that
    is taken is refused, and the existing file is left as it is."""

    DEFAULT_CSS = """
    NewRoutineScreen {
        align: center middle;
    }
    NewRoutineScreen #new-dialog {
        width: 64;
        max-width: 100%;
        height: auto;
        padding: 0 1;
        border: round $primary;
        background: $surface;
    }
    NewRoutineScreen #new-title {
        text-style: bold;
    }
    NewRoutineScreen #new-hint {
        color: $text-muted;
        margin-bottom: 1;
    }
    NewRoutineScreen Input {
        margin-bottom: 1;
    }
    NewRoutineScreen Checkbox {
        width: auto;
        max-width: 100%;  /* a long routine name ends in "…", not cut off at the border */
    }
    NewRoutineScreen #new-error {
        color: $text-error;
    }
    NewRoutineScreen #new-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    NewRoutineScreen #new-buttons Button {
        margin-left: 2;
    }
    """

    # F1 opens the help from the name field, which takes "?" as text; "?" does elsewhere.
    BINDINGS: ClassVar[list[BindingType]] = [*bindings("new_routine"), *bindings("dialogs")]

    def __init__(self, source: Entry | None = None) -> None:
        super().__init__()
        self.source = source if source is not None and source.routine is not None else None

    def compose(self) -> ComposeResult:
        folder = catalog.display_path(paths.user_routines_dir())
        with Vertical(id="new-dialog"):
            yield Static("New routine", id="new-title")
            copy = " (a copy of the routine ticked below, else" if self.source else " (from"
            yield Static(
                f"A name for the file: letters, digits, - and _. It is saved as NAME.toml "
                f"in {folder}{copy} the commented template).",
                id="new-hint",
                markup=False,
            )
            yield Input(placeholder="my-morning-routine", id="new-name", compact=True)
            if self.source is not None:
                assert self.source.routine is not None
                label = Text("Copy ").append_text(literal(self.source.routine.name, "bold"))
                yield TickBox(label, value=False, id="new-copy", compact=True)
            yield Static("", id="new-error")
            with Horizontal(id="new-buttons"):
                yield Button("Create (enter)", id="new-create", variant="primary", compact=True)
                yield Button("Cancel (^x)", id="new-cancel", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#new-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.create()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "new-create":
            self.create()
        else:
            self.action_cancel()

    def _error(self, message: str) -> None:
        self.query_one("#new-error", Static).update(literal(message))

    def create(self) -> None:
        from backtimer.files import editing  # when creating: not for the first frame

        name = self.query_one("#new-name", Input).value.strip()
        problem = editing.check_name(name)
        if problem:
            self._error(problem[:1].upper() + problem[1:])
            return
        source = None
        copies = self.query("#new-copy")
        if copies and self.source is not None and copies.first(Checkbox).value:
            source = self.source
        try:
            path, notes = editing.create_routine(name, source)
        except FileExistsError:
            existing = paths.user_routines_dir() / f"{name}.toml"
            self._error(
                f"There is already a routine called {name} ({catalog.display_path(existing)}); "
                "it was left as it is. Choose another name."
            )
            return
        except ValueError as exc:
            self._error(str(exc))
            return
        except RoutineError as exc:
            self._error("; ".join(str(p) for p in exc.problems))
            return
        except OSError as exc:
            self._error(f"Could not create it: {exc.strerror or exc}")
            return
        self.dismiss((path, notes))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_escape(self) -> None:
        """Escape: as Cancel."""
        self.action_cancel()
