"""The full-screen app: the picker, the session, the pain stop, the summary and help.

``make_app(...)`` builds the app with everything injectable (the clock, the cue player, extra
runner listeners, the routine list, the editor), so that tests and snapshot apps drive it
with a fake clock and a recording player; ``run_app(entry)`` is what ``backtimer run`` and
``backtimer`` (the picker) call.

The pain stop is a priority binding on the app (``x`` and ``escape``): it works from every
screen, whatever has focus, and stops the session's clock synchronously on the key press.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SuspendNotSupported
from textual.binding import Binding, BindingType

from backtimer import catalog
from backtimer.catalog import Entry
from backtimer.messages import StartRoutine
from backtimer.runner import Clock, Listener

EntriesFn = Callable[[], list[Entry]]
EditFn = Callable[[Path], str | None]

TICK_INTERVAL = 0.25  # seconds between engine ticks; the screen redraws only on a change
EXIT_TERMINATED = 143  # SIGTERM (as in --plain)
EXIT_HANGUP = 129  # SIGHUP


def editor_command() -> list[str] | None:
    """The user's editor ($VISUAL, then $EDITOR, then nano or vi if present), as argv."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError:
                continue
            if argv:
                return argv
    for fallback in ("nano", "vi"):
        found = shutil.which(fallback)
        if found:
            return [found]
    return None


def run_editor(path: Path) -> str | None:
    """Edit ``path`` in the user's editor (blocking). Returns an error message, or None."""
    argv = editor_command()
    if argv is None:
        return "No editor found: set $VISUAL or $EDITOR"
    try:
        subprocess.run([*argv, str(path)], check=False)
    except OSError as exc:
        return f"Could not start {argv[0]}: {exc.strerror or exc}"
    return None


class BacktimerApp(App[int]):
    """backtimer's full-screen UI. Build it with :func:`make_app`."""

    CSS_PATH = "app.tcss"
    TITLE = "backtimer"
    ENABLE_COMMAND_PALETTE = False
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-tiny"),
        (18, "-short"),
        (22, "-tall"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "x",
            "pain",
            "Pain stop",
            key_display="x/esc",
            show=False,  # shown first on every screen by widgets.keybar.PainKey
            priority=True,
            id="pain",
            tooltip="Pain stop: clock and sound stop at once",
        ),
        Binding(
            "escape",
            "pain",
            "Pain stop",
            show=False,
            priority=True,
            id="pain_escape",
            tooltip="Pain stop, too",
        ),
        Binding(
            "question_mark", "help", "Help", key_display="?", id="help", tooltip="All the keys"
        ),
    ]

    def __init__(
        self,
        entry: Entry | None = None,
        *,
        level: str = "low",
        bell: bool = True,
        voice: bool = True,
        clock: Clock = time.monotonic,
        player: Any = None,
        listeners: Sequence[Listener] = (),
        entries: EntriesFn = catalog.all_entries,
        edit: EditFn = run_editor,
        tick_interval: float | None = TICK_INTERVAL,
    ) -> None:
        super().__init__()
        self.entry = entry
        self.level = level
        self.bell_on = bell
        self.voice_on = voice
        self.clock = clock
        self.player = player
        self.extra_listeners = list(listeners)
        self.entries_fn = entries
        self.edit_fn = edit
        self.tick_interval = tick_interval
        self.current_session: Any = None  # the latest session screen started

    # ------------------------------------------------------------------ life cycle

    def on_mount(self) -> None:
        if not self.is_headless:
            # SIGTERM and SIGHUP: leave cleanly (Textual restores the terminal), telling the
            # session's listeners that it was interrupted (see on_unmount).
            loop = asyncio.get_running_loop()
            for sig, code in ((signal.SIGTERM, EXIT_TERMINATED), (signal.SIGHUP, EXIT_HANGUP)):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self.exit, None, code)
        if self.player is None:
            from backtimer.cues import default_player

            self.player = default_player(self.bell, voice=self.voice_on, bell=self.bell_on)
        if self.entry is None:
            from backtimer.screens.picker import PickerScreen

            self.push_screen(PickerScreen())
        else:
            self.start_session(self.entry)

    def on_unmount(self) -> None:
        session = self.current_session
        if session is not None and session.live:
            session.interrupted()  # quit with ctrl+q, or a signal, in mid-session
        close = getattr(self.player, "close", None)
        if callable(close):
            close()

    def make_cues(self) -> Listener:
        from backtimer.cues import Cues

        return Cues(self.player, bell=self.bell_on, voice=self.voice_on)

    def start_session(self, entry: Entry) -> None:
        from backtimer.screens.session import SessionScreen

        if entry.routine is None:
            self.notify("This routine has errors; fix them first", severity="error")
            return
        self.current_session = SessionScreen(
            entry,
            level=self.level,
            clock=self.clock,
            listeners=[self.make_cues(), *self.extra_listeners],
            tick_interval=self.tick_interval,
        )
        self.push_screen(self.current_session)

    def on_start_routine(self, message: StartRoutine) -> None:
        self.start_session(message.entry)

    def edit_file(self, path: Path) -> str | None:
        """Suspend the app, run the editor on ``path``, come back. Returns an error or None."""
        try:
            with self.suspend():
                return self.edit_fn(path)
        except SuspendNotSupported:
            return self.edit_fn(path)

    # ------------------------------------------------------------------ queries

    @property
    def session_screen(self) -> Any:
        """The session screen in the stack (if any), whatever is shown on top of it."""
        from backtimer.screens.session import SessionScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, SessionScreen):
                return screen
        return None

    @property
    def from_picker(self) -> bool:
        from backtimer.screens.picker import PickerScreen

        return any(isinstance(s, PickerScreen) for s in self.screen_stack)

    # ------------------------------------------------------------------ actions

    def get_key_display(self, binding: Binding) -> str:
        if binding.key == "enter" and not binding.key_display:
            return "enter"
        return super().get_key_display(binding)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pain":
            from backtimer.screens.pain import PainScreen

            # Already stopped: let the keys reach the pain screen's own widgets.
            return not isinstance(self.screen, PainScreen)
        if action == "help":
            from backtimer.screens.help import HelpScreen

            return not isinstance(self.screen, HelpScreen)
        return True

    def action_pain(self) -> None:
        """Pain stop: the clock stops first (synchronously), then the screen is shown."""
        session = self.session_screen
        if session is not None and session.pain_stop():
            return
        from backtimer.screens.pain import PainScreen

        self.push_screen(PainScreen(None))

    def action_help(self) -> None:
        from backtimer.screens.help import HelpScreen

        self.push_screen(HelpScreen())


def make_app(
    entry: Entry | None = None,
    *,
    level: str = "low",
    bell: bool = True,
    voice: bool = True,
    clock: Clock = time.monotonic,
    player: Any = None,
    listeners: Sequence[Listener] = (),
    entries: EntriesFn = catalog.all_entries,
    edit: EditFn = run_editor,
    tick_interval: float | None = TICK_INTERVAL,
) -> BacktimerApp:
    """The app, with every outside dependency injectable (tests pass a fake clock and player).

    ``entry`` None opens the picker; an entry starts its session at once. ``listeners`` are
    added to every session's runner after the cue layer (e.g. the history recorder).
    """
    return BacktimerApp(
        entry,
        level=level,
        bell=bell,
        voice=voice,
        clock=clock,
        player=player,
        listeners=listeners,
        entries=entries,
        edit=edit,
        tick_interval=tick_interval,
    )


def run_app(entry: Entry | None, level: str = "low", bell: bool = True, voice: bool = True) -> int:
    """Run the app in the terminal until it exits; returns the exit code."""
    app = make_app(entry, level=level, bell=bell, voice=voice)
    result = app.run()
    if app.return_code not in (None, 0):
        return app.return_code
    return result if isinstance(result, int) else 0
