"""The full-screen app: the picker, the session, the pain stop, the summary and help.

``make_app(...)`` does the whole assembly (settings, the cue player, history, every screen's
dependencies) with everything injectable (the clock, the cue player, extra runner listeners,
the routine list, the editor), so that tests and snapshot apps run the same code as
``backtimer`` with a fake clock and a recording player; ``run_app(entry)`` is what
``backtimer run`` and ``backtimer`` (the picker) call.

The app is the only place that knows every screen: it builds each one with what it needs
(data dir, player, entries, config) and reacts to their messages
(:mod:`backtimer.tui.messages`); no screen imports the app or reads its attributes. A session
is a :class:`~backtimer.session.controller.SessionController`, the same as ``--plain``'s.

The pain stop is a priority binding on the app (``x`` and ``escape``): it works from every
screen, whatever has focus, and stops the session's clock synchronously on the key press.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen

from backtimer.core.literal import printable, shown
from backtimer.files import catalog, dataclass_code
from backtimer.files.catalog import Entry
from backtimer.files.config import Config, load_config, unknown_bindings
from backtimer.session.commands import binding_ids
from backtimer.tui import css_cache
from backtimer.tui.keys import bindings, close_top
from backtimer.tui.messages import SessionOver, SettingsSaved, StartRoutine, SummaryClosed
from backtimer.tui.screens import StyledAtMount, pop_above, preset_breakpoints
from backtimer.tui.terminal import FLUSH_WAIT, TerminalGuard

if TYPE_CHECKING:
    from textual.timer import Timer

    from backtimer.session.launch import Launch
    from backtimer.session.runner import Clock, Listener  # the runner imports the engine
    from backtimer.tui.screens.picker import PickerScreen
    from backtimer.tui.screens.session import SessionScreen

EntriesFn = Callable[[], list[Entry]]
EditFn = Callable[[Path], str | None]

TICK_INTERVAL = 1.0  # longest wait between engine ticks; the screen wakes when its display changes

# The session's code (session.controller, session.launch, core.engine, and the history they
# load) is imported where a session is prepared or a resume looked for: the picker's first
# frame needs none of it.
# Each screen's module is imported where the screen is first pushed (``backtimer run`` needs
# the session screen, the picker its own), not at start: they are most of the app's import
# time and memory. A screen whose module was never imported has no instance on the stack.
_SCREENS = {
    "ConfirmScreen": "backtimer.tui.screens.confirm",
    "HelpScreen": "backtimer.tui.screens.help",
    "LevelOfferScreen": "backtimer.tui.screens.levels",
    "PainScreen": "backtimer.tui.screens.pain",
    "PickerScreen": "backtimer.tui.screens.picker",
    "SessionScreen": "backtimer.tui.screens.session",
    "SummaryScreen": "backtimer.tui.screens.summary",
}


def _is_screen(screen: object, name: str) -> bool:
    """``isinstance(screen, <name>)`` without importing that screen's module."""
    module = sys.modules.get(_SCREENS[name])
    return module is not None and isinstance(screen, getattr(module, name))


def run_editor(path: Path) -> str | None:
    """Edit ``path`` in the user's editor (blocking). Returns an error message, or None."""
    # Not needed before the first frame.
    from backtimer.files.editing import EditorStopped, find_editor, run_editor_process

    argv = find_editor()
    if argv is None:
        return "No editor found: set $VISUAL or $EDITOR"

    try:
        run_editor_process(argv, path)
    except EditorStopped as exc:
        # SIGTERM or SIGHUP while the editor was open: it was ended too; now the app's own
        # handler (restored) ends the app, as it would have without an editor.
        os.kill(os.getpid(), exc.signum)
    except OSError as exc:
        return f"Could not start {argv[0]}: {exc.strerror or exc}"
    return None


class LatePlayer:
    """The app's own player, made once the first frame is on the screen: opening the sound
    device, finding a voice and rendering the tones take tens of milliseconds that the first
    frame does without. Until :meth:`ready`, cues wait here in order (a pain stop's silence
    drops what waits before it) and are played when the player is made; after it, every
    call goes straight to the player. ``sound`` is there only if the player will have it
    (``BACKTIMER_AUDIO=none`` makes one without the app's tones: the bell rings instead).
    """

    def __init__(self, make: Callable[[], Any], *, tones: bool) -> None:
        self._make = make
        self._player: Any = None
        self._waiting: list[tuple[str, tuple[Any, ...]]] = []
        # The cue thread and the main thread (pain stop, pause, "Paused.") both play: one
        # call at a time reaches the player, in the order they came, and a silence is never
        # overtaken by a cue that came before it.
        self._lock = threading.RLock()
        if not tones:
            self.sound = None  # type: ignore[assignment]  # Cues rings the bell instead

    @property
    def is_ready(self) -> bool:
        return self._player is not None

    def ready(self) -> Any:
        """The player (made now if it was not): the cues that waited are played. Their words
        keep no deadline (the player leaves out a text it could only say more than a second
        after its deadline, see backtimer.sound.player): they waited for the app's own
        start-up, not behind a voice that hung, and are said at once, in order, as before."""
        with self._lock:
            if self._player is None:
                player = self._make()
                waiting, self._waiting = self._waiting, []
                self._player = player
                for name, args in waiting:
                    if name in ("say", "say_next", "say_after_quiet") and len(args) > 1:
                        args = (args[0], None, *args[2:])
                    with contextlib.suppress(Exception):  # a cue never breaks a session
                        self._play(name, args)
            return self._player

    def _play(self, name: str, args: tuple[Any, ...]) -> None:
        """One cue to the player, in the form it takes (with a clock time or without)."""
        player = self._player
        timed = callable(getattr(player, "sound", None))
        if name == "say_after_quiet" and not callable(getattr(player, name, None)):
            name, args = "say_next", args[:2]  # a player with no trailing quiet to cut
        if name == "say_next" and not callable(getattr(player, "say_next", None)):
            name, args = "say", args[:1] if not timed else args  # a player that only cuts
        if name == "sound" and not timed:
            player.bell()
        elif name == "say" and not timed:
            player.say(args[0])
        else:
            getattr(player, name)(*args)

    def _cue(self, name: str, *args: Any) -> None:
        with self._lock:
            if self._player is None:
                self._waiting.append((name, args))
            else:
                self._play(name, args)

    def bell(self) -> None:
        self._cue("bell")

    def sound(self, name: str, at: float | None = None) -> None:
        self._cue("sound", name, at)

    def say(self, text: str, at: float | None = None) -> None:
        self._cue("say", text, at)

    def say_next(self, text: str, at: float | None = None) -> None:
        """A cue of the timeline: never cuts what is being said (see SpeechPlayer.say_next)."""
        self._cue("say_next", text, at)

    def say_after_quiet(self, text: str, at: float | None = None, words: float = 0.0) -> None:
        """A countdown number after a number whose words are over (see
        SpeechPlayer.say_after_quiet)."""
        self._cue("say_after_quiet", text, at, words)

    def silence(self) -> None:
        with self._lock:
            if self._player is None:
                self._waiting.clear()
            else:
                self._player.silence()

    def stop_sounds(self) -> None:
        with self._lock:
            if self._player is None:
                self._waiting.clear()
            else:
                hush = getattr(self._player, "stop_sounds", None)
                if callable(hush):
                    hush()

    @property
    def speaking(self) -> bool:
        with self._lock:
            if self._player is None:
                return any(
                    name in ("say", "say_next", "say_after_quiet") for name, _ in self._waiting
                )
            return bool(getattr(self._player, "speaking", False))

    def close(self) -> None:
        with self._lock:
            if self._player is not None:
                self._player.close()
            self._waiting.clear()

    def __getattr__(self, name: str) -> Any:
        """Anything else (``status``, ``wait_idle``...) needs the player itself."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.ready(), name)


#: Seconds from the first frame to the one pass over what start-up made (see
#: _collect_start_up): after the frame has been written, and the first screen's own work
#: after it (the picker's checks) has begun.
COLLECT_AFTER = 0.25


def _collect_from_now_on() -> None:
    """At the first frame: the garbage collector on, leaving out every object made so far
    (see on_mount); :func:`_collect_start_up` goes over them once, a moment later."""
    gc.freeze()
    gc.enable()


def _collect_start_up() -> None:
    """The garbage start-up made while the collector waited (some 5,000 objects: widgets
    Textual made and dropped, their caches, the argument parser's formatters), collected in
    one pass: frozen, it would be kept for the whole session (about 0.7 MiB of a long hold's
    peak memory), where what comes next (the sound, the history) can reuse it. What lives on
    is frozen again.

    Not at the first frame itself: the pass holds the interpreter for some 10 ms, and the
    frame, handed to Textual's output thread, waited for it to be written."""
    if not gc.isenabled():
        return  # the collector was turned off since (a test): left as it is
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class BaseScreen(StyledAtMount, Screen[Any]):
    """The screen under every other (Textual's default screen, empty): like the app's own
    screens, it gets its breakpoint classes before its styles and is not styled a second
    time when first shown (see screens.StyledAtMount). Textual's restyled it, and the
    widgets it holds (its toasts and tooltip), twice before the first screen's first frame:
    at its first showing and at its first resize."""

    def compose(self) -> ComposeResult:
        preset_breakpoints(self)
        yield from ()


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

    BINDINGS: ClassVar[list[BindingType]] = bindings("app")

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
        remote: Any = None,
    ) -> None:
        super().__init__()
        css_cache.use(self.stylesheet)  # parsed rules kept between runs (see css_cache)
        # The phone remote (backtimer.remote.options.RemoteOptions) for every session, as
        # run --remote asks; the picker's remote key asks for it once.
        self.remote_options = remote
        self._remote_once: Any = None
        self.remotes: list[Any] = []  # backtimer.tui.remote.AppRemote, one per session
        self.notes: list[str] = []
        self.config = config if config is not None else Config()
        self.data_dir = data_dir
        self.record = record  # keep a history of sessions (off in tests unless asked)
        self.offer_resume = offer_resume
        self.cli_sound: tuple[bool, bool] | None = None  # --no-bell/--no-voice, when run_app
        self.launches: list[Launch] = []
        self.terminal_guard: Any = None  # a tui.terminal.TerminalGuard, set by run_app
        self.exit_notes: list[str] = []  # for stderr after the app (unsaved history)
        self.entry = entry
        self.level = level
        self.bell_on = bell
        self.voice_on = voice
        self.tones_on = tones
        self.cli_tones = True  # --no-tones, when run_app
        self.clock = clock
        self.player = player
        self.own_player = player is None  # made here (replaced when the voice settings change)
        self.extra_listeners = list(listeners)
        self.entries_fn = entries
        self.edit_fn = edit
        self.tick_interval = tick_interval
        self.current_session: SessionScreen | None = None  # the latest session screen started
        # The history's recording watches (one per session recorded), polled every second:
        # by the running session screen's own tick, else by a timer of the app's.
        self._watches: list[Any] = []
        self._watch_timer: Timer | None = None
        self._held_notes: list[tuple[Any, ...]] | None = None
        self._sound_looked_ahead = False  # see _sound_ready
        self._at_first_frame: list[Callable[[], None]] = []  # see _first_frame
        self.first_frame_drawn = False  # the first screen's first frame is on the terminal

    # ------------------------------------------------------------------ life cycle

    def get_default_screen(self) -> Screen[Any]:
        return BaseScreen(id="_default")

    def on_mount(self) -> None:
        # The garbage collector waits while the app starts (backtimer.cli.main pauses it):
        # on again once the first frame is on the screen, over what is made from then on.
        # What start-up made lives on (modules, classes, styles, the first screen): frozen,
        # it is not gone over again, where the first passes took 50-100 ms just as a key
        # (the level offer's "s") wanted handling.
        if not gc.isenabled():
            self._at_first_frame.append(self._collector_on)
        # The first screen says when its first frame is drawn (see _start); else (a dialog
        # first) it is drawn by the time the app's callbacks come.
        self.call_after_refresh(self._first_frame)
        # The dataclasses' compiled methods, for the next start (backtimer.cli.main).
        self.call_after_refresh(dataclass_code.save)
        self.call_after_refresh(css_cache.save)
        # Messages from start-up wait until it is known whether a session is shown.
        self._held_notes = []
        try:
            self._start()
        finally:
            held, self._held_notes = self._held_notes, None
            for message, title, severity, timeout, markup in held:
                self.notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _first_frame(self) -> None:
        """The first frame is on the terminal: what waited for it is done (once)."""
        self.first_frame_drawn = True
        waiting, self._at_first_frame = self._at_first_frame, []
        for callback in waiting:
            callback()

    def _collector_on(self) -> None:
        _collect_from_now_on()
        asyncio.get_running_loop().call_later(COLLECT_AFTER, _collect_start_up)

    def _start(self) -> None:
        if not self.is_headless and self.terminal_guard is not None:
            self._guard_terminal(self.terminal_guard)
        elif not self.is_headless:
            # SIGTERM and SIGHUP: leave cleanly (Textual restores the terminal), telling the
            # session's listeners that it was interrupted (see on_unmount).
            from backtimer.session.controller import EXIT_HANGUP, EXIT_TERMINATED

            loop = asyncio.get_running_loop()
            for sig, code in ((signal.SIGTERM, EXIT_TERMINATED), (signal.SIGHUP, EXIT_HANGUP)):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self.exit, None, code)
        if self.player is None:
            self.player = LatePlayer(self._new_player, tones=_has_tones())
            self.call_after_refresh(self._sound_ready)
        self.apply_settings(self.config)
        resume = None
        if self.offer_resume and _history_may_exist(self.data_dir):
            from backtimer.session.launch import find_resume

            why: list[str] = []
            resume = find_resume(self.entry, self.data_dir, config=self.config, notes=why)
            for note in why:
                self.notify(note, severity="warning", timeout=10, markup=False)
        if self.entry is None:
            self.push_screen(self.picker_screen())
        if resume is not None:
            self.ask_resume(resume)
        elif self.entry is not None:
            self.start_session(self.entry)
        # The picker and the session screen say when their first frame is on the terminal
        # (screens.DrawnAfterStartUp): what waits for it comes right after, not after the
        # work their own first callbacks start.
        when_drawn = getattr(self.screen, "when_drawn", None)
        if when_drawn is not None:
            when_drawn.append(self._first_frame)

    def picker_screen(self) -> PickerScreen:
        from backtimer.tui.screens.picker import PickerScreen

        return PickerScreen(entries=self.entries_fn, edit=self.edit_file, data_dir=self.data_dir)

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
        for message in unknown_bindings(config, binding_ids()):
            self.notify(message, severity="warning")
        if previous is not config and self.cli_sound is not None:
            bell_allowed, voice_allowed = self.cli_sound
            self.bell_on = bell_allowed and config.bell
            self.voice_on = voice_allowed and config.voice
            self.tones_on = self.cli_tones and config.tones
            if _sound_settings(previous) != _sound_settings(config) and self.own_player:
                self._replace_player()
        for note in self.notes:
            self.notify(note, severity="warning", timeout=8)
        self.notes.clear()

    def on_settings_saved(self, message: SettingsSaved) -> None:
        self.apply_settings(message.config)

    def ask_resume(self, resume: Any) -> None:
        """Offer to go on with an interrupted session at the step where it stopped."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_session(resume.entry, resume=resume)
            elif self.entry is None:
                return  # not now: the routines stay
            elif yes is None:
                self.exit(0)  # escape starts nothing: out of `backtimer run`, as the offer
            else:
                self.start_session(self.entry)

        from backtimer.session.launch import describe_resume
        from backtimer.tui.screens.confirm import ConfirmScreen

        self.push_screen(
            ConfirmScreen(
                f"Resume {resume.routine}?",
                f"The session of {resume.started_at.astimezone():%a %H:%M} was interrupted at "
                f"{describe_resume(resume)}. Declining keeps it in the history as it is.",
                yes="Resume",
                no="Start afresh" if self.entry is not None else "Not now",
                escape_answer=None,
            ),
            answered,
        )

    def _guard_terminal(self, guard: Any) -> None:
        """SIGTERM, SIGHUP, SIGINT and a dead terminal end the app, and the process within
        a deadline even when the app cannot (see backtimer.tui.terminal); an outside SIGSTOP
        and SIGCONT leave the session paused and the terminal in the app's mode."""
        loop = asyncio.get_running_loop()
        guard.finishers.append(self._record_interrupted_now)
        guard.install(lambda code: loop.call_soon_threadsafe(self.exit, None, code))
        guard.remember_app_mode()
        textual_continue = signal.getsignal(signal.SIGCONT)

        def on_continue(signum: int, frame: Any) -> None:
            if getattr(self._driver, "_must_signal_resume", False) and callable(textual_continue):
                textual_continue(signum, frame)  # back from our own Ctrl-Z: Textual resumes
            else:
                guard.reenter_app_mode()  # stopped from outside: the shell reset the modes
                loop.call_soon_threadsafe(self._continued)

        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGCONT, on_continue)
        self.app_resume_signal.subscribe(self, lambda _app: self._continued())

    def _record_interrupted_now(self) -> None:
        """From the deadline's thread: mark a running session interrupted, write the history
        (briefly), silence speech. Everything here is safe from another thread."""
        with contextlib.suppress(Exception):
            silence = getattr(self.player, "silence", None)
            if callable(silence):
                silence()
        for launch in self.launches:
            recorder = launch.recorder
            if recorder is None:
                continue
            with contextlib.suppress(Exception):
                recorder.on_interrupted()
                # Written, or kept in a journal (another program holds the lock, the disk
                # is full): the exit that follows would drop what is only waited for.
                close_now = getattr(recorder, "close_now", None)
                if callable(close_now):
                    close_now(FLUSH_WAIT)
                else:
                    recorder.flush(FLUSH_WAIT)

    def _pause_running_session(self) -> None:
        from backtimer.core.engine import Command, State

        session = self.session_screen
        if session is not None and session.live and session.session.state is State.RUNNING:
            session.do(Command.PAUSE)

    def action_suspend(self) -> None:
        """Ctrl-Z: the session pauses, then the process stops; ``fg`` redraws it paused."""
        self._pause_running_session()
        self.action_suspend_process()

    def _continued(self) -> None:
        """Back after a stop: the session waits paused, and the whole screen is drawn."""
        self._pause_running_session()
        # Whatever the shell wrote meanwhile is painted over: every widget is drawn again
        # (Textual only redraws what changed, and nothing did).
        self.screen.refresh(layout=True)
        for widget in self.screen.query("*"):
            widget.refresh()

    def on_unmount(self) -> None:
        session = self.current_session
        if session is not None and session.live:
            session.interrupted()  # quit with ctrl+q, or a signal, in mid-session
        for remote in self.remotes:
            remote.close_now()
        close = getattr(self.player, "close", None)
        if callable(close):
            close()
        for launch in self.launches:
            with contextlib.suppress(Exception):
                message = launch.close()  # flushes the history writer
                if message:
                    self.exit_notes.append(message)  # printed once the terminal is back

    def _new_player(self) -> Any:
        from backtimer.session.cues import default_player

        return default_player(
            self.bell,
            voice=self.voice_on,
            bell=self.bell_on,
            command=self.config.speech_command,
            tones=self.tones_on,
            volume=self.config.volume,
            rate=self.config.speech_rate,
            speech_voice=self.config.speech_voice,
            clock=self.clock,  # the sessions' clock: a cue's deadline is on it
        )

    def _sound_ready(self) -> None:
        """After the first frame: the sound is set up, and what it found is said (the
        picker's title, or a line on the session screen)."""
        player = self.player
        if not isinstance(player, LatePlayer) or player.is_ready or not self.is_running:
            return
        if not self._sound_looked_ahead:
            # Where no sound server is in sight, a child process looks for the device first
            # (backtimer.sound.output.look_ahead): in a thread, so the screen goes on.
            self._sound_looked_ahead = True
            from backtimer.sound.output import look_ahead

            loop = asyncio.get_running_loop()

            def then() -> None:
                with contextlib.suppress(RuntimeError):  # the app has ended meanwhile
                    loop.call_soon_threadsafe(self._sound_ready)

            if look_ahead(then):
                return
        player.ready()
        for screen in self.screen_stack:
            show = getattr(screen, "show_sound_warning", None)
            if callable(show):
                show()
        if self.current_session is not None:
            self._say_sound_status()

    def sound_warning(self) -> str | None:
        """Why the voice is on and nothing can speak (None: all is well, or not known yet:
        the sound is set up after the first frame)."""
        if isinstance(self.player, LatePlayer) and not self.player.is_ready:
            return None
        status = getattr(self.player, "status", None)
        return status.warning() if status is not None else None

    def _say_sound_status(self) -> None:
        """At a session's start: no voice where one was asked for, or the voice used instead."""
        if isinstance(self.player, LatePlayer) and not self.player.is_ready:
            return  # said once the sound is set up (see _sound_ready)
        warning = self.sound_warning()
        if warning:
            self.notify(warning, severity="warning", timeout=15, markup=False)
        status = getattr(self.player, "status", None)
        fallback = status.fallback() if status is not None else None
        if fallback:
            self.notify(fallback, timeout=8, markup=False)

    def _replace_player(self) -> None:
        old = self.player
        self.player = self._new_player()
        close = getattr(old, "close", None)
        if callable(close):
            close()

    def start_session(self, entry: Entry, *, resume: Any = None) -> None:
        """Start a session; at the current level, first offer any step up or down."""
        if entry.routine is None and resume is None:
            self.notify("This routine has errors; fix them first", severity="error")
            return
        if resume is None and self.level == "current" and self.record:
            from backtimer.session.launch import accept_levels, forget_offer, level_changes

            changes = level_changes(entry, self.config, self.data_dir)
            if changes:
                self.call_after_refresh(self._while_the_offer_is_read, entry, changes)

                def chosen(accepted: list | None) -> None:
                    if accepted is None:  # escape: not now (as on the remote's screen)
                        forget_offer(entry, self.data_dir)
                        if not self.from_picker:
                            self.exit(0)
                        return
                    problem = accept_levels(entry, accepted, self.data_dir)
                    if problem:
                        self.notify(problem, severity="error")
                    self._launch(entry, None)

                from backtimer.tui.screens.levels import LevelOfferScreen

                self.push_screen(LevelOfferScreen(changes), chosen)
                return
        self._launch(entry, resume)

    def _while_the_offer_is_read(self, entry: Entry, changes: list[Any]) -> None:
        """After the level offer's first frame: the session's plan, for the offer's default
        (every step-up taken), is compiled in a thread, and the session screen's code is
        loaded, so that Start has less to do."""
        from backtimer.session.launch import plan_ahead

        plan_ahead(entry, changes, self._launch_config(), self.data_dir)
        import backtimer.tui.screens.session  # noqa: F401

    def _launch_config(self) -> Config:
        """The settings a session runs with. Voice off: nothing is said, so the plan keeps
        the routine's own times."""
        if self.voice_on:
            return self.config
        return dataclasses.replace(self.config, voice=False)

    def _launch(self, entry: Entry, resume: Any) -> None:
        from backtimer.session.controller import controller_for
        from backtimer.session.launch import prepare

        launch = prepare(
            entry,
            level=self.level,
            config=self._launch_config(),
            data_dir=self.data_dir,
            clock=self.clock,
            resume=resume,
            record=self.record,
            # The session row's write (synced to the disk) waits for the first frame; a
            # signal before it still writes it (the recorder's flush and close release it).
            hold_history=not self.first_frame_drawn,
        )
        self.launches.append(launch)
        if launch.recorder is not None and not self.first_frame_drawn:
            self._at_first_frame.append(launch.recorder.release)
        controller = controller_for(
            launch,
            clock=self.clock,
            player=self.player,
            bell=self.bell_on,
            voice=self.voice_on,
            listeners=self.extra_listeners,
            countdown=self.config.countdown,
            # The timeline's cues on their own times, between the screen's ticks (a test's
            # fake clock is moved by hand: its ticks play them).
            cue_thread=self.clock is time.monotonic,
        )
        if launch.recorder is not None:
            self._watch_recording(launch.recorder)
        from backtimer.tui.screens.session import SessionScreen

        self.current_session = SessionScreen(
            controller,
            launch.entry,
            level=launch.level,
            tick_interval=self.tick_interval,
            keymap=dict(self.config.keymap),
            on_tick=self._poll_watches,
        )
        remote = self._remote_once or self.remote_options
        self._remote_once = None
        if remote is None:
            if self.tick_interval and self._watch_timer is not None:
                # The screen's tick polls the watches: one wake a second, not two.
                self._watch_timer.pause()
            self.push_screen(self.current_session)
        else:
            # Deferred: the remote's server (aiohttp) loads only for a session that uses it.
            from backtimer.tui.remote import AppRemote

            host = AppRemote(self, remote)
            self.remotes.append(host)
            self.run_worker(host.begin(controller, self.current_session), exit_on_error=False)
        # Shown in the session screen's own layout, not as toasts over it (see notify).
        for note in launch.notes:
            self.notify(note, severity="warning", timeout=8)
        self._say_sound_status()

    def _watch_recording(self, recorder: Any) -> None:
        """A notice while the history falls behind (a full disk, a held lock), and when it
        has caught up; checked every second."""
        from backtimer.history.recorder import RecordingWatch

        def say(text: str) -> None:
            behind = text != RecordingWatch.CAUGHT_UP
            self.notify(
                text,
                severity="warning" if behind else "information",
                timeout=30 if behind else 5,
                markup=False,
            )

        self._watches.append(RecordingWatch([recorder], say))
        if self._watch_timer is None:
            self._watch_timer = self.set_interval(1.0, self._poll_watches, name="recording")

    def _poll_watches(self) -> None:
        for watch in self._watches:
            watch.poll()

    def on_start_routine(self, message: StartRoutine) -> None:
        if message.remote:
            from backtimer.remote import unavailable

            problem = unavailable()
            if problem is not None:  # an environment older than the remote: said in words
                self.notify(problem[:1].upper() + problem[1:], severity="error", markup=False)
                return
            from backtimer.remote.options import RemoteOptions

            self._remote_once = self.remote_options or RemoteOptions()
        self.start_session(message.entry)

    def remote_cancelled(self, remote: Any) -> None:
        """The remote's address was closed without starting: back to the routines."""
        if not self.from_picker:
            self.exit(0)

    def on_session_over(self, message: SessionOver) -> None:
        """The session screen's run ended: its summary replaces it."""
        if self._watch_timer is not None:
            self._watch_timer.resume()  # the session screen's tick polled them until now
        for remote in self.remotes:
            if remote.screen is self.session_screen:
                remote.session_over()
        screen = self.session_screen
        if screen is not None:
            pop_above(screen)
        from backtimer.tui.screens.summary import SummaryScreen

        summary = SummaryScreen(
            message.tally,
            message.routine_name,
            message.entry,
            data_dir=self.data_dir,
        )
        self.switch_screen(summary)

    def on_summary_closed(self, message: SummaryClosed) -> None:
        """Back to the routines (read again: a kept change may have altered one), or quit."""
        for screen in reversed(self.screen_stack):
            if _is_screen(screen, "PickerScreen"):
                picker = cast("PickerScreen", screen)
                picker.pop_until_active()
                picker.refresh_entries()
                return
        self.exit(0)

    def edit_file(self, path: Path) -> str | None:
        """Suspend the app, run the editor on ``path``, come back. Returns an error or None."""
        try:
            with self.suspend():
                return self.edit_fn(path)
        except SuspendNotSupported:
            return self.edit_fn(path)
        finally:
            self.refresh()

    # ------------------------------------------------------------------ queries

    @property
    def session_screen(self) -> SessionScreen | None:
        """The session screen in the stack (if any), whatever is shown on top of it."""
        for screen in reversed(self.screen_stack):
            if _is_screen(screen, "SessionScreen"):
                return cast("SessionScreen", screen)
        return None

    @property
    def from_picker(self) -> bool:
        return any(_is_screen(s, "PickerScreen") for s in self.screen_stack)

    # ------------------------------------------------------------------ actions

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification, from every screen, is literal text: a routine, file or folder
        name with ``[a=b:c]`` or ``[b]`` in it is shown as written (never parsed as markup,
        which raised MarkupError), and a control character (an escape sequence in a file
        name once changed the terminal's title) is shown as an escape instead.
        ``markup`` is accepted for Textual's signature and ignored.

        No toast over a running session: while it is the screen shown (or about to be, at
        start-up), a message is a line in the session screen's own layout instead."""
        if self._held_notes is not None:
            self._held_notes.append((message, title, severity, timeout, markup))
            return
        session = self.current_session
        if session is not None and session.live and self.screen is session:
            session.notify(shown(str(message)), title=shown(str(title)))
            return
        super().notify(
            shown(str(message)),
            title=shown(str(title)),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def get_key_display(self, binding: Binding) -> str:
        if binding.key == "enter" and not binding.key_display:
            return "enter"
        return super().get_key_display(binding)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pain":
            # Already stopped: let the keys reach the pain screen's own widgets.
            return not _is_screen(self.screen, "PainScreen")
        if action == "help":
            return not _is_screen(self.screen, "HelpScreen")
        return True

    def action_escape(self) -> None:
        """Escape closes what is open on top (help, a dialog, the history); it is the pain
        stop only where nothing is open: on a session screen itself, or the first screen
        (unless that is a dialog: `run`'s level offer, resume question or remote)."""
        top = self.screen
        stack = self.screen_stack
        first = len(stack) <= 2 and not top.is_modal  # a dialog first (`run`'s level offer)
        if getattr(top, "ESCAPE_IS_PAIN", False) or first:
            self.action_pain()
            return
        close_top(top)

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
        from backtimer.core.engine import Command, State
        from backtimer.tui.screens.help import HelpScreen

        session = self.session_screen
        if session is None or not session.live or session.session.state is not State.RUNNING:
            self.push_screen(HelpScreen())
            return
        shown = session
        shown.do(Command.PAUSE)

        def closed(_: None) -> None:
            if shown.live and shown.session.state is State.PAUSED:
                shown.do(Command.RESUME)

        self.push_screen(HelpScreen(), closed)

    def action_interrupt(self) -> None:
        from backtimer.session.controller import EXIT_INTERRUPTED

        self.exit(None, EXIT_INTERRUPTED)


def _history_may_exist(data_dir: Path | None) -> bool:
    """Whether the data dir has anything in it: a history, or journals of records beside
    it, that an interrupted session could be resumed from. At a first start ever it is
    missing or empty, and no resume is looked for (that would load the session and history
    code before the first frame, which the picker does not need)."""
    from backtimer.files import paths

    try:
        with os.scandir(data_dir if data_dir is not None else paths.data_dir()) as found:
            return next(found, None) is not None
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # cannot tell: looked for as ever (and said where it fails)


def _has_tones() -> bool:
    """Whether the player made by ``default_player`` has the app's tones (``sound``):
    not with ``BACKTIMER_AUDIO=none`` (the tests), where the bell rings instead."""
    return os.environ.get("BACKTIMER_AUDIO", "").strip().lower() != "none"


def _sound_settings(config: Config) -> tuple[Any, ...]:
    """The settings that make a new player when they change."""
    return (
        config.speech_command,
        config.voice,
        config.tones,
        config.bell,
        config.volume,
        config.speech_rate,
        config.speech_voice,
    )


def load_session_code() -> None:
    """Import the code a session's first frame needs, which :meth:`BacktimerApp._launch`
    and the app's start import where they are used: ``run`` calls this at a first start
    while the precheck child checks the routine (backtimer.files.precheck), so that the
    wait for the child goes to work the first frame needs anyway instead of to nothing."""
    import backtimer.session.controller
    import backtimer.session.launch
    import backtimer.tui.screens.session  # noqa: F401


def make_app(
    entry: Entry | None = None,
    *,
    config: Config | None = None,
    bell: bool = True,
    voice: bool = True,
    tones: bool = True,
    **options: Any,
) -> BacktimerApp:
    """The app, assembled as ``backtimer`` runs it, with every outside dependency injectable:
    the keyword arguments of :class:`BacktimerApp` (tests pass a fake ``clock``, a recording
    ``player``, extra runner ``listeners`` such as a history recorder, an ``entries``
    function, an ``edit`` function, ``tick_interval=None`` to drive ticks by hand,
    ``data_dir``, ``record``, ``offer_resume``).

    ``config`` None reads config.toml (its problems become notices at start); ``bell``,
    ``voice`` and ``tones`` False (--no-bell, --no-voice, --no-tones) win over the settings,
    also after the settings screen saves. ``entry`` None opens the picker; an entry starts
    its session at once.
    """
    notes: list[str] = []
    if config is None:
        config, warnings = load_config()  # as session.launch.settings, without loading it
        notes.extend(warnings)
    app = BacktimerApp(
        entry,
        bell=bell and config.bell,
        voice=voice and config.voice,
        tones=tones and config.tones,
        config=config,
        **options,
    )
    app.notes.extend(notes)
    app.cli_sound = (bell, voice)
    app.cli_tones = tones
    return app


def run_app(
    entry: Entry | None,
    level: str = "current",
    bell: bool = True,
    voice: bool = True,
    *,
    tones: bool = True,
    data_dir: Path | None = None,
    resume: bool | None = None,
    remote: Any = None,
) -> int:
    """Run the app in the terminal until it exits; returns the exit code.

    Sessions are recorded in the history; settings come from config.toml (their problems are
    shown as notices). ``resume`` None offers to resume an interrupted session, False never.
    """
    app = make_app(
        entry,
        level=level,
        bell=bell,
        voice=voice,
        tones=tones,
        data_dir=data_dir,
        record=True,
        offer_resume=resume is not False,
        remote=remote,
    )
    guard = app.terminal_guard = TerminalGuard()
    try:
        result = app.run()
    finally:
        guard.uninstall()
        guard.restore()  # the modes from before the app, whatever Textual restored
    for note in app.exit_notes:
        print(f"backtimer: {printable(note)}", file=sys.stderr)
    if app.return_code not in (None, 0):
        return app.return_code
    return result if isinstance(result, int) else 0
