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
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SuspendNotSupported
from textual.binding import Binding, BindingType

from backtimer.core.engine import Command, State
from backtimer.files import catalog
from backtimer.files.catalog import Entry
from backtimer.files.config import Config, unknown_bindings
from backtimer.files.editing import find_editor
from backtimer.session.launch import (
    Launch,
    accept_levels,
    describe_resume,
    find_resume,
    level_changes,
    prepare,
    settings,
)
from backtimer.session.runner import Clock, Listener
from backtimer.tui.messages import StartRoutine

EntriesFn = Callable[[], list[Entry]]
EditFn = Callable[[Path], str | None]

TICK_INTERVAL = 1.0  # longest wait between engine ticks; the screen wakes when its display changes
EXIT_TERMINATED = 143  # SIGTERM (as in --plain)
EXIT_HANGUP = 129  # SIGHUP
EXIT_INTERRUPTED = 130  # Ctrl-C


def run_editor(path: Path) -> str | None:
    """Edit ``path`` in the user's editor (blocking). Returns an error message, or None."""
    argv = find_editor()
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
    # Textual declares this "ClassVar[...] | None", which mypy takes for an instance variable:
    # left unannotated, it takes the base class's type (and ruff's ClassVar rule must yield).
    VERTICAL_BREAKPOINTS = [  # noqa: RUF012
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
            "escape",
            "Close / pain stop",
            show=False,
            priority=True,
            id="pain_escape",
            tooltip="Close what is open; on a session, pain stop",
        ),
        Binding(
            "question_mark", "help", "Help", key_display="?", id="help", tooltip="All the keys"
        ),
        # Ctrl-C leaves at once, as it does in a shell (Textual's default only hints at
        # ctrl+q): the terminal is restored and a running session is recorded as interrupted.
        Binding("ctrl+c", "interrupt", "Interrupt", show=False, priority=True, id="interrupt"),
    ]

    def __init__(
        self,
        entry: Entry | None = None,
        *,
        level: str = "low",
        bell: bool = True,
        voice: bool = True,
        tones: bool = True,
        clock: Clock = time.monotonic,
        player: Any = None,
        listeners: Sequence[Listener] = (),
        entries: EntriesFn = catalog.listed_entries,
        edit: EditFn = run_editor,
        tick_interval: float | None = TICK_INTERVAL,
        config: Config | None = None,
        data_dir: Path | None = None,
        record: bool = False,
        offer_resume: bool = False,
    ) -> None:
        super().__init__()
        self.notes: list[str] = []
        self.config = config if config is not None else Config()
        self.data_dir = data_dir
        self.record = record  # keep a history of sessions (off in tests unless asked)
        self.offer_resume = offer_resume
        self.cli_sound: tuple[bool, bool] | None = None  # --no-bell/--no-voice, when run_app
        self.launches: list[Launch] = []
        self.entry = entry
        self.level = level
        self.bell_on = bell
        self.voice_on = voice
        self.tones_on = tones
        self.cli_tones = True  # --no-tones, when run_app
        self.clock = clock
        self.player = player
        self.extra_listeners = list(listeners)
        self.entries_fn = entries
        self.edit_fn = edit
        self.tick_interval = tick_interval
        self.current_session: Any = None  # the latest session screen started
        self._held_notes: list[tuple[Any, ...]] | None = None

    # ------------------------------------------------------------------ life cycle

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """No toast over a running session: while it is the screen shown (or about to be),
        a message is a line in the session screen's own layout instead."""
        if self._held_notes is not None:
            self._held_notes.append((message, title, severity, timeout, markup))
            return
        session = self.current_session
        if session is not None and session.live and self.screen is session:
            session.notify(message, title=title)
            return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_mount(self) -> None:
        # Messages from start-up wait until it is known whether a session is shown.
        self._held_notes = []
        try:
            self._start()
        finally:
            held, self._held_notes = self._held_notes, None
            for message, title, severity, timeout, markup in held:
                self.notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _start(self) -> None:
        if not self.is_headless:
            # SIGTERM and SIGHUP: leave cleanly (Textual restores the terminal), telling the
            # session's listeners that it was interrupted (see on_unmount).
            loop = asyncio.get_running_loop()
            for sig, code in ((signal.SIGTERM, EXIT_TERMINATED), (signal.SIGHUP, EXIT_HANGUP)):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self.exit, None, code)
        if self.player is None:
            self.player = self._new_player()
        self.apply_settings(self.config)
        resume = find_resume(self.entry, self.data_dir) if self.offer_resume else None
        if self.entry is None:
            from backtimer.tui.screens.picker import PickerScreen

            self.push_screen(PickerScreen())
        if resume is not None:
            self.ask_resume(resume)
        elif self.entry is not None:
            self.start_session(self.entry)

    def apply_settings(self, config: Config) -> None:
        """Apply settings (at start, and after the settings screen saves): theme, keymap,
        bell, voice and speech command. A bad value is reported, never fatal."""
        previous = self.config
        self.config = config
        if config.theme in self.available_themes:
            self.theme = config.theme
        else:
            self.notify(f"Unknown theme {config.theme!r} in the settings", severity="warning")
        self.set_keymap(dict(config.keymap))
        if config.keymap:  # checking the names imports every screen: only when there are some
            from backtimer.tui.screens.settings import known_binding_ids

            for message in unknown_bindings(config, known_binding_ids()):
                self.notify(message, severity="warning")
        if previous is not config and self.cli_sound is not None:
            bell_allowed, voice_allowed = self.cli_sound
            self.bell_on = bell_allowed and config.bell
            self.voice_on = voice_allowed and config.voice
            self.tones_on = self.cli_tones and config.tones
            if _sound_settings(previous) != _sound_settings(config):
                self._replace_player()
        for note in self.notes:
            self.notify(note, severity="warning", timeout=8)
        self.notes.clear()

    def ask_resume(self, resume: Any) -> None:
        """Offer to go on with an interrupted session at the step where it stopped."""
        from backtimer.tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_session(resume.entry, resume=resume)
            elif self.entry is not None:
                self.start_session(self.entry)

        self.push_screen(
            ConfirmScreen(
                f"Resume {resume.routine}?",
                f"The session of {resume.started_at.astimezone():%a %H:%M} was interrupted at "
                f"{describe_resume(resume)}. Declining keeps it in the history as it is.",
                yes="Resume",
                no="Start afresh" if self.entry is not None else "Not now",
            ),
            answered,
        )

    def on_unmount(self) -> None:
        session = self.current_session
        if session is not None and session.live:
            session.interrupted()  # quit with ctrl+q, or a signal, in mid-session
        close = getattr(self.player, "close", None)
        if callable(close):
            close()
        for launch in self.launches:
            with contextlib.suppress(Exception):
                launch.close()  # flushes the history writer

    def _new_player(self) -> Any:
        from backtimer.session.cues import default_player

        return default_player(
            self.bell,
            voice=self.voice_on,
            bell=self.bell_on,
            command=self.config.speech_command,
            tones=self.tones_on,
            volume=self.config.volume,
            rate=getattr(self.config, "speech_rate", None),
        )

    def sound_warning(self) -> str | None:
        """Why the voice is on and nothing can speak (None: all is well)."""
        status = getattr(self.player, "status", None)
        return status.warning() if status is not None else None

    def _replace_player(self) -> None:
        old = self.player
        self.player = self._new_player()
        close = getattr(old, "close", None)
        if callable(close):
            close()

    def make_cues(self) -> Listener:
        from backtimer.session.cues import Cues

        return Cues(self.player, bell=self.bell_on, voice=self.voice_on)

    def start_session(self, entry: Entry, *, resume: Any = None) -> None:
        """Start a session; at the current level, first offer any step up or down."""
        if entry.routine is None and resume is None:
            self.notify("This routine has errors; fix them first", severity="error")
            return
        if resume is None and self.level == "current" and self.record:
            changes = level_changes(entry, self.config, self.data_dir)
            if changes:
                from backtimer.tui.screens.levels import LevelOfferScreen

                def chosen(accepted: list | None) -> None:
                    problem = accept_levels(entry, accepted or [], self.data_dir)
                    if problem:
                        self.notify(problem, severity="error")
                    self._launch(entry, None)

                self.push_screen(LevelOfferScreen(changes), chosen)
                return
        self._launch(entry, resume)

    def _launch(self, entry: Entry, resume: Any) -> None:
        from backtimer.tui.screens.session import SessionScreen

        launch = prepare(
            entry,
            level=self.level,
            config=self.config,
            data_dir=self.data_dir,
            clock=self.clock,
            resume=resume,
            record=self.record,
        )
        self.launches.append(launch)
        listeners: list[Listener] = [self.make_cues(), *self.extra_listeners]
        if launch.recorder is not None:
            listeners.append(launch.recorder)
        self.current_session = SessionScreen(
            launch.entry,
            level=launch.level,
            clock=self.clock,
            listeners=listeners,
            tick_interval=self.tick_interval,
            plan=launch.plan,
            routine=launch.routine,
            start_index=launch.start_index,
            countdown=self.config.countdown,
        )
        self.push_screen(self.current_session)
        # Shown in the session screen's own layout, not as toasts over it (see notify).
        for note in launch.notes:
            self.notify(note, severity="warning", timeout=8)
        warning = self.sound_warning()
        if warning:
            self.notify(warning, severity="warning", timeout=15, markup=False)
        status = getattr(self.player, "status", None)
        fallback = status.fallback() if status is not None else None
        if fallback:
            self.notify(fallback, timeout=8, markup=False)

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
        from backtimer.tui.screens.session import SessionScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, SessionScreen):
                return screen
        return None

    @property
    def from_picker(self) -> bool:
        from backtimer.tui.screens.picker import PickerScreen

        return any(isinstance(s, PickerScreen) for s in self.screen_stack)

    # ------------------------------------------------------------------ actions

    def get_key_display(self, binding: Binding) -> str:
        if binding.key == "enter" and not binding.key_display:
            return "enter"
        return super().get_key_display(binding)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pain":
            from backtimer.tui.screens.pain import PainScreen

            # Already stopped: let the keys reach the pain screen's own widgets.
            return not isinstance(self.screen, PainScreen)
        if action == "help":
            from backtimer.tui.screens.help import HelpScreen

            return not isinstance(self.screen, HelpScreen)
        return True

    def action_escape(self) -> None:
        """Escape closes what is open on top (help, a dialog, the history); it is the pain
        stop only where nothing is open: on a session screen itself, or the first screen."""
        top = self.screen
        stack = self.screen_stack
        if getattr(top, "ESCAPE_IS_PAIN", False) or len(stack) <= 2:
            self.action_pain()
            return
        for name in ("escape", "close", "cancel"):
            action = getattr(top, f"action_{name}", None)
            if callable(action):
                action()
                return
        top.dismiss(None)

    def action_pain(self) -> None:
        """Pain stop: the clock stops first (synchronously), then the screen is shown."""
        session = self.session_screen
        if session is not None and session.pain_stop():
            return
        from backtimer.tui.screens.pain import PainScreen

        self.push_screen(PainScreen(None))

    def action_help(self) -> None:
        """Help over a running session pauses it (reading takes a while) and resumes it on
        close; a pause the person made stays."""
        from backtimer.tui.screens.help import HelpScreen

        session = self.session_screen
        paused_here = (
            session is not None and session.live and session.session.state is State.RUNNING
        )
        if paused_here:
            session.do(Command.PAUSE)

        def closed(_: None) -> None:
            if paused_here and session.live and session.session.state is State.PAUSED:
                session.do(Command.RESUME)

        self.push_screen(HelpScreen(), closed)

    def action_interrupt(self) -> None:
        self.exit(None, EXIT_INTERRUPTED)


def _sound_settings(config: Config) -> tuple[Any, ...]:
    """The settings that make a new player when they change."""
    return (
        config.speech_command,
        config.voice,
        config.tones,
        config.bell,
        config.volume,
        getattr(config, "speech_rate", None),
    )


def make_app(entry: Entry | None = None, **options: Any) -> BacktimerApp:
    """The app, with every outside dependency injectable: the keyword arguments of
    :class:`BacktimerApp` (tests pass a fake ``clock``, a recording ``player``, extra runner
    ``listeners`` such as a history recorder, an ``entries`` function, an ``edit`` function,
    ``tick_interval=None`` to drive ticks by hand, ``config``, ``data_dir``, ``record``).

    ``entry`` None opens the picker; an entry starts its session at once.
    """
    return BacktimerApp(entry, **options)


def run_app(
    entry: Entry | None,
    level: str = "current",
    bell: bool = True,
    voice: bool = True,
    *,
    tones: bool = True,
    data_dir: Path | None = None,
    resume: bool | None = None,
) -> int:
    """Run the app in the terminal until it exits; returns the exit code.

    Sessions are recorded in the history; settings come from config.toml (their problems are
    shown as notices). ``resume`` None offers to resume an interrupted session, False never.
    """
    notes: list[str] = []
    config = settings(notes)
    app = make_app(
        entry,
        level=level,
        bell=bell and config.bell,
        voice=voice and config.voice,
        tones=tones and config.tones,
        config=config,
        data_dir=data_dir,
        record=True,
        offer_resume=resume is not False,
    )
    app.notes.extend(notes)
    app.cli_sound = (bell, voice)
    app.cli_tones = tones
    result = app.run()
    if app.return_code not in (None, 0):
        return app.return_code
    return result if isinstance(result, int) else 0
