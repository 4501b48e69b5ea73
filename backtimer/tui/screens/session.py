"""The session screen: the phase in words and colour, a big countdown, what to do, what's next.

The screen is a view of a :class:`~backtimer.session.controller.SessionController` (built by
the app, the same one ``--plain`` drives): keys call its commands, and the screen shows what
changed. A timer calls :meth:`SessionScreen.tick` when the display next changes; the widgets
are only updated when something they show changes (the countdown shows ``ceil(remaining)``),
so a running session redraws about once a second. The pain stop (an app binding) calls
:meth:`SessionScreen.pain_stop`, which stops the engine's clock before anything else happens.
When the session is over the screen posts :class:`~backtimer.tui.messages.SessionOver`; the
app shows the summary.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from backtimer.core.durations import countdown as clock
from backtimer.core.durations import mmss, short, shown_seconds
from backtimer.core.engine import (
    Command,
    EndedEarly,
    Event,
    Extended,
    Finished,
    Paused,
    Refused,
    State,
)
from backtimer.core.phases import DONE, PHASES
from backtimer.core.plan import Plan, Step
from backtimer.core.progression import describe_level, high_level
from backtimer.core.routine import Exercise, LevelChoice, Routine
from backtimer.files.catalog import Entry
from backtimer.session.commands import key_words, pain_choices_spoken
from backtimer.session.controller import SessionController, refusal_text
from backtimer.session.safety import PainDetails
from backtimer.tui.keys import bindings
from backtimer.tui.messages import SessionOver
from backtimer.tui.screens import (
    DrawnAfterStartUp,
    OwnStyles,
    StyledAtMount,
    pop_above,
    preset_breakpoints,
)
from backtimer.tui.widgets.bigtext import BigText
from backtimer.tui.widgets.keybar import KeyBar
from backtimer.tui.widgets.meter import Meter
from backtimer.tui.widgets.partial import draw_only_changes
from backtimer.tui.widgets.quiet import HiddenQuiet
from backtimer.tui.widgets.text import (
    caution_text,
    counter_line,
    literal,
    side_words,
    step_brief,
    stop_if_text,
)

MIN_WAKE = 0.02  # seconds: the shortest wait between two ticks
WAKE_MARGIN = 0.01  # seconds: wake just after a whole second, not just before it

PHASE_CLASSES = tuple(p.style for p in (*PHASES.values(), DONE))


def phase_classes(style: str, state: State) -> dict[str, bool]:
    """The classes that colour the phase band, the step meter and the countdown."""
    classes = {cls: cls == style for cls in PHASE_CLASSES}
    classes["-paused"] = state is State.PAUSED
    classes["-stopped"] = state is State.PAIN_STOPPED
    return classes


def instructions(exercise: Exercise) -> Text:
    """The exercise's position and steps, literally."""
    text = Text()
    if exercise.position:
        text.append_text(literal(exercise.position, "italic"))
    for number, line in enumerate(exercise.steps, 1):
        if text:
            text.append("\n")
        text.append(f"{number}. ", style="bold")
        text.append_text(literal(line))
    return text


def labelled(label: str, value: str) -> Text:
    return Text(label, style="bold").append_text(literal(value))


def _phase_scale(height: int) -> int:
    """The largest scale of the big phase word in a terminal ``height`` rows tall (0: none)."""
    return 0 if height < 30 else (1 if height < 48 else 2)


def _load_dialogs() -> None:
    """The pain and quit dialogs' modules, imported once the session's first frame is on the
    screen (not before it: the first frame does without them), so that a pain stop or a
    quit shows its dialog without an import."""
    import backtimer.tui.screens.confirm
    import backtimer.tui.screens.pain  # noqa: F401


class SessionScreen(OwnStyles, DrawnAfterStartUp, StyledAtMount, Screen[None]):
    """A running session. Built by the app; see the module's docstring."""

    STYLES_PATH = "session.tcss"  # its rules, added when a session is first shown

    ESCAPE_IS_PAIN = True  # nothing is open over it: escape is a pain stop here (as x)

    # In the footer's order: what matters most comes first (narrow terminals cut the end).
    BINDINGS: ClassVar[list[BindingType]] = bindings("session")

    def __init__(
        self,
        controller: SessionController,
        entry: Entry,
        *,
        level: Any = "low",
        tick_interval: float | None = 1.0,
        keymap: Mapping[str, str] | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        """``controller``: the session to show and drive (see
        :func:`backtimer.session.controller.controller_for`); ``entry``: the routine as on
        disk; ``level``: "low", "high", or {exercise index: LevelChoice}; ``keymap``: the
        user's keys, for the words of the resume prompt and of the pain stop's choices;
        ``on_tick``: called at each of the screen's own ticks (about once a second), so
        that what the app checks every second needs no timer of its own."""
        super().__init__()
        draw_only_changes(self)  # the countdown and the time left, not all between them
        self.controller = controller
        self.entry = entry
        self.level = level
        self.routine: Routine = controller.routine
        self.plan: Plan = controller.plan
        self.tally = controller.tally
        self.runner = controller.runner
        self.tick_interval = tick_interval
        self.on_tick = on_tick
        self.keymap = dict(keymap or {})
        # Said after a pain stop: the pain screen's choices, with this app's keys.
        controller.pain_choices = pain_choices_spoken("app", self.keymap)
        self.redraws = 0  # how many times the display changed (for tests and benchmarks)
        self._shown: dict[str, Hashable] = {}
        self._view: Hashable = None
        # The next tick: an event loop call, not a Textual timer (a new timer each second
        # cost a task, a message and a look at the callback's signature: an eighth of a
        # long hold's work). ``wake_delay``: the seconds it was asked for.
        self._timer: asyncio.TimerHandle | None = None
        self.wake_delay: float | None = None
        self._over = False
        self._notices: list[tuple[str, str, int, int]] = []  # message, until, step, exercise

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # The class the big phase word's layout hangs on, set before the widgets get their
        # styles (set in on_mount, it restyled the whole screen before its first frame).
        self.set_class(_phase_scale(self.app.size.height) > 0, "-big-phase", update=False)
        preset_breakpoints(self)
        # The first step's classes, as on_mount shows it (a resumed session starts paused),
        # given before the widgets get their styles: set in on_mount, each of these widgets
        # (the details with all theirs) was styled once more before the first frame. What
        # on_mount shows sets them anyway; given here, it finds them set.
        step = self.session.step
        phase = " ".join(
            name
            for name, on in phase_classes(
                step.phase_info.style, State.PAUSED if self.session.index else State.RUNNING
            ).items()
            if on
        )
        getting_ready = "-getting-ready" if step.phase in ("get_ready", "transition") else ""
        with Horizontal(id="top"):
            yield Static(literal(self.routine.name), id="routine-name")
            yield Static("", id="exercise-count")
        with Vertical(id="phase-band", classes=phase):
            yield BigText(id="phase-big")
            yield Static("", id="phase", classes=phase)
        with Vertical(id="clock"):
            yield BigText(id="countdown", fit="88", classes=phase)
            yield HiddenQuiet("", id="clock-text")
        yield Meter(id="step-meter", classes=phase)
        yield Static("", id="exercise")
        yield Static("", id="hint")
        yield Static("", id="notice", markup=False)
        with VerticalScroll(id="details", can_focus=False, classes=getting_ready):
            yield Static("", id="cautions")
            yield Static("", id="instructions")
            yield Static("", id="caution")
            yield Static("", id="stop-if")
            yield Static("", id="level", markup=False)
        yield Static("", id="next")
        yield Meter(id="session-meter")
        yield KeyBar()

    def on_mount(self) -> None:
        self._fit_to(self.app.size.height)
        events, resuming = self.controller.start()
        self._handle(events)
        if resuming is not None:
            # Resumed mid-exercise: the clock waits until the person is back in position.
            key = key_words(self.keymap.get("pause") or "space")
            prompt = f"{resuming} Then press {key}."
            self.show_notice(prompt, until="resume")
            self.controller.announce(prompt)
        self._schedule()
        # The app's callback, not the screen's: the screen's own come at once while the app
        # starts (its first frame is drawn in a batch, not written out), the app's once the
        # first frame is on the terminal.
        self.app.call_after_refresh(_load_dialogs)

    def on_resize(self, event: Any) -> None:
        self._fit_to(self.app.size.height)

    def _fit_to(self, height: int) -> None:
        """Big text as large as the terminal allows: the countdown about a third of its height
        (13 rows at 40), the phase word big where there are 30 rows or more."""
        countdown = self.query_one("#countdown", BigText)
        countdown.update(countdown.value, largest=max(1, (height - 14) // 5))
        phase_big = self.query_one("#phase-big", BigText)
        largest = _phase_scale(height)
        phase_big.update(phase_big.value, largest=largest)
        phase_big.display = largest > 0
        self.set_class(largest > 0, "-big-phase")

    # ------------------------------------------------------------------ notices

    def show_notice(self, message: str, *, until: str = "step") -> None:
        """A message in the screen's own layout, never a toast over the session. It stays
        until the step changes (``"step"``), the session runs again (``"resume"``) or the
        exercise changes (``"exercise"``). A new notice of the same kind replaces the old."""
        session = self.session
        exercise, _ = self._exercise_for(session.step)
        self._notices = [n for n in self._notices if n[1] != until or until != "step"]
        self._notices.append((message, until, session.index, exercise))
        if self.is_mounted:
            self._view = None  # show it now
            self.refresh_view()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """What would be a toast is a line of the session screen (shown literally)."""
        self.show_notice(f"{title}: {message}" if title else message, until="exercise")

    def _live_notices(self, exercise: int) -> tuple[str, ...]:
        session = self.session
        keep = []
        for notice in self._notices:
            _message, until, index, at_exercise = notice
            if until == "step" and index != session.index:
                continue
            if until == "resume" and session.state is State.RUNNING:
                continue
            if until == "exercise" and at_exercise != exercise:
                continue
            keep.append(notice)
        self._notices = keep
        return tuple(n[0] for n in keep)

    def _schedule(self) -> None:
        """Wake for the next tick when the display next changes (the countdown's next whole
        second or a step's end), and at least every ``tick_interval`` seconds. Deadlines
        live in the engine, so a late wake-up only delays a redraw, never the schedule."""
        self._stop_ticks()
        if not self.tick_interval or self._over:
            return
        delay = self.tick_interval
        session = self.session
        if session.state is State.RUNNING:
            now = self.runner.now()
            remaining = session.remaining(now)
            if remaining is not None:  # counting down: 7.3 s left shows 8 until 7.0
                delay = min(delay, remaining - math.ceil(remaining - 1e-9) + 1.0)
            elif session.step.user_paced:  # counting up: 3.3 s shows 3 until 4.0
                elapsed = session.step_elapsed(now)
                delay = min(delay, math.floor(elapsed) + 1.0 - elapsed)
        delay = max(MIN_WAKE, delay + WAKE_MARGIN)
        self.wake_delay = delay
        self._timer = asyncio.get_running_loop().call_later(delay, self._woken)

    def _stop_ticks(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.wake_delay = None

    def _woken(self) -> None:
        self._timer = None
        if not self.is_attached:
            return  # gone from the app
        try:
            self._wake()
        except Exception as error:  # as a Textual timer's callback would: the app reports it
            self.app._handle_exception(error)

    def _wake(self) -> None:
        self.tick()
        self._schedule()
        if self.on_tick is not None:
            self.on_tick()

    def on_unmount(self) -> None:
        self._stop_ticks()

    # ------------------------------------------------------------------ driving

    @property
    def session(self) -> Any:
        return self.controller.session

    @property
    def live(self) -> bool:
        """A session that has not finished or ended."""
        return self.controller.live

    def tick(self) -> list[Event]:
        """Advance the engine to the clock's time; redraw only if the display changed."""
        events = self.controller.tick()
        self._handle(events)
        return events

    def do(self, command: Command, amount: float = 0.0) -> list[Event]:
        """An engine command through the controller, shown (tests and benchmarks)."""
        return self.shown(self.controller.do(command, amount))

    def shown(self, events: list[Event]) -> list[Event]:
        """After a command: show what changed, and wake for the next change (a key can
        move it: pause, +5 s, skip)."""
        self._handle(events)
        self._schedule()
        return events

    def _handle(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, Paused) and event.reason == "sleep":
                message = "Paused: the computer slept. Press space to go on."
                self.show_notice(message, until="resume")
        self.refresh_view()
        if any(isinstance(e, Finished | EndedEarly) for e in events):
            self._finish()

    def _finish(self) -> None:
        if self._over:
            return
        self._over = True
        self._stop_ticks()
        self.post_message(SessionOver(self.tally, self.routine.name, self.entry))

    # ------------------------------------------------------------------ display

    def _exercise_for(self, step: Step) -> tuple[int, Exercise]:
        """The exercise a step is about; a transition is about the next one."""
        index = step.exercise_index
        if step.phase == "transition" and index + 1 < len(self.routine.exercises):
            index += 1
        return index, self.routine.exercises[index]

    def _set(self, key: str, value: Hashable, apply: Any) -> None:
        """Call ``apply()`` only when ``value`` differs from what ``key`` shows now."""
        if self._shown.get(key, object()) != value:
            self._shown[key] = value
            apply()

    def level_words(self, index: int) -> list[str]:
        """The exercise's ranges at the level this session runs: "hold 15s (10-30s)"."""
        settings = self.routine.settings(index)
        if isinstance(self.level, Mapping):
            choice = self.level.get(index, LevelChoice())
        elif self.level == "high":
            choice = high_level(settings)
        else:
            choice = LevelChoice()
        return describe_level(settings, choice)

    def refresh_view(self) -> bool:
        """Update the widgets if anything shown changed. Returns True if it did."""
        session = self.session
        now = self.controller.now()
        step: Step = session.step
        state: State = session.state
        remaining = session.remaining(now)
        shown = shown_seconds(remaining)
        elapsed = int(session.step_elapsed(now)) if step.user_paced else None
        left = shown_seconds(session.session_remaining(now))
        view = (state, session.index, shown, elapsed, left, session.step_seconds)
        if view == self._view:
            return False
        self._view = view
        self.redraws += 1

        # The phase, in words and in colour.
        info = DONE if session.over else step.phase_info
        phase = info.name
        word = info.word
        if step.user_paced and phase == "rep":
            word = "AT YOUR OWN PACE"  # no timer: the clock counts up, enter ends the step
        if step.side and not session.over:
            if info.work:
                word += f" · {step.side.upper()} SIDE"
            elif step.phase == "switch_sides":
                word += f" → {step.side.upper()}"
        big = word  # drawn big where there is room: the phase and the side, or the state
        if state is State.PAUSED:
            word, big = f"PAUSED · {word}", "PAUSED"
        elif state is State.PAIN_STOPPED:
            word, big = f"STOPPED · {word}", "STOPPED"

        def set_phase() -> None:
            # Classes go on the few widgets they colour (not the screen: restyling the
            # whole screen on every step costs far more than a redraw).
            classes = phase_classes(info.style, state)
            band = self.query_one("#phase", Static)
            band.update(word)
            phase_big = self.query_one("#phase-big", BigText)
            phase_big.update(big.replace(" SIDE", ""), short=big.split(" ·")[0])
            for widget in (
                self.query_one("#phase-band"),
                band,
                self.query_one("#step-meter"),
                self.query_one("#countdown"),
            ):
                widget.update_classes(classes, animate=False)

        self._set("phase", (word, big, phase, state), set_phase)

        # The big countdown (or, at your own pace, the time taken so far).
        value = clock(elapsed) if step.user_paced and elapsed is not None else clock(shown or 0)
        if session.over:
            value = "0"

        # The widest the countdown gets in this step, so that its size does not jump.
        longest = clock(round(session.step_seconds or 0)) if not step.user_paced else "8:88"
        fit = "".join("8" if ch.isdigit() else ch for ch in longest)

        def set_clock() -> None:
            self.query_one("#countdown", BigText).update(value, fit=fit)
            unit = "" if ":" in value else (" second" if value == "1" else " seconds")
            # One line whatever the number: no layout pass for it, once a second.
            self.query_one("#clock-text", HiddenQuiet).update(
                Text(value + unit, style="bold"), layout=False
            )

        self._set("clock", value, set_clock)

        # Step progress.
        if session.step_seconds and remaining is not None:
            fraction = 1 - remaining / session.step_seconds
            meter_label = f"{clock(round(session.step_seconds))} s"
            if ":" in meter_label:
                meter_label = meter_label[:-2]
        else:
            fraction, meter_label = 0.0, ""
        self.query_one("#step-meter", Meter).update(fraction, meter_label)

        # What to do: the exercise, side, rep and set.
        ex_index, exercise = self._exercise_for(step)

        def set_exercise() -> None:
            text = Text()
            if step.phase == "transition":
                text.append("Next: ", style="bold")
            text.append_text(literal(exercise.name, "bold"))
            extra = [w for w in (side_words(step, exercise), counter_line(step)) if w]
            if step.phase_info.in_sets and extra:
                text.append_text(literal(" · " + " · ".join(extra), lines=False))
            self.query_one("#exercise", Static).update(text)
            hint = self.query_one("#hint", Static)
            if step.user_paced:
                hint.update("At your own pace: press enter when you are done")
            elif step.breaths and step.is_work:
                hint.update(f"Hold for {step.breaths} breaths")
            else:
                hint.update("")
            hint.display = bool(step.user_paced or (step.breaths and step.is_work))
            self.query_one("#exercise-count", Static).update(
                f"exercise {ex_index + 1} of {len(self.routine.exercises)}"
            )

        self._set("exercise", (session.index, ex_index), set_exercise)

        getting_ready = step.phase in ("get_ready", "transition") and not session.over
        first = ex_index == 0 and getting_ready and bool(self.routine.cautions)

        def set_details() -> None:
            # The routine's cautions before its first exercise; the exercise's caution and
            # stop-if first while getting ready (seen before moving), after the steps later.
            cautions = self.query_one("#cautions", Static)
            cautions.display = first
            if first:
                text = Text("Cautions", style="bold")
                for line in self.routine.cautions:
                    text.append("\n• ").append_text(literal(caution_text(line)))
                cautions.update(text)
            self.query_one("#instructions", Static).update(instructions(exercise))
            caution = self.query_one("#caution", Static)
            caution.display = bool(exercise.caution)
            if exercise.caution:
                caution.update(
                    Text("Caution: ", style="bold").append_text(
                        literal(caution_text(exercise.caution))
                    )
                )
            stop_if = self.query_one("#stop-if", Static)
            stop_if.display = bool(exercise.stop_if)
            if exercise.stop_if:
                stop_if.update(stop_if_text(exercise.stop_if))
            details = self.query_one("#details")
            details.set_class(getting_ready, "-getting-ready")
            order = ["#cautions", "#caution", "#stop-if", "#instructions", "#level"]
            if not getting_ready:
                order = ["#cautions", "#instructions", "#caution", "#stop-if", "#level"]
            widgets = [self.query_one(selector) for selector in order]
            for before, widget in itertools.pairwise(widgets):
                details.move_child(widget, after=before)

            level = self.query_one("#level", Static)
            words = self.level_words(ex_index)
            level.display = bool(words)
            level.update("Level: " + ", ".join(words) if words else "")

        self._set("details", (ex_index, getting_ready, first), set_details)

        notices = self._live_notices(ex_index)

        def set_notice() -> None:
            notice = self.query_one("#notice", Static)
            notice.update(Text("\n".join(notices)))
            notice.display = bool(notices)

        self._set("notice", notices, set_notice)

        # Next up, and the session's progress.
        def set_next() -> None:
            following = None
            if not session.over and session.index + 1 < len(self.plan.steps):
                following = self.plan.steps[session.index + 1]
            text = Text("Next: ", style="bold")
            if following is None:
                text.append("end of the session")
            elif following.phase == "transition" and ex_index + 1 < len(self.routine.exercises):
                # Not "Next exercise": which one, and how long there is to get there.
                upcoming = self.routine.exercises[ex_index + 1]
                text.append_text(literal(upcoming.name))
                if following.seconds:
                    text.append(f" · {short(following.seconds)} to change position")
            else:
                seconds = following.seconds
                if seconds is not None:
                    seconds += session.extensions.get(following.index, 0.0)
                own = self.routine.exercises[following.exercise_index]
                text.append_text(literal(step_brief(following, seconds, own)))
            self.query_one("#next", Static).update(text)

        self._set("next", (session.index, session.over), set_next)
        total = self.plan.steps_seconds or 1.0  # what the session's clock counts down
        done = max(0.0, total - float(left or 0))
        self.query_one("#session-meter", Meter).update(done / total, f"{mmss(left or 0)} left")
        self._set("bindings", (session.index, state), self.refresh_bindings)
        return True

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.session
        step = session.step
        # Keys that do nothing on this step are left out of the footer.
        if action in ("more", "less"):
            return step.phase_info.extendable and step.seconds is not None and not session.over
        if action == "advance":
            return step.user_paced and not session.over
        # space says what it will do: pause while running, resume while paused.
        if action == "pause":
            return session.state is not State.PAUSED
        if action == "resume":
            return session.state is State.PAUSED
        return True

    def action_pause(self) -> None:
        self.shown(self.controller.pause())

    def action_resume(self) -> None:
        self.shown(self.controller.resume())

    def action_skip_step(self) -> None:
        self.shown(self.controller.skip_step())

    def action_skip_exercise(self) -> None:
        self.shown(self.controller.skip_exercise())

    def action_back(self) -> None:
        self.shown(self.controller.back())

    def action_more(self) -> None:
        """A few seconds more on this hold (the controller's EXTEND_STEP, as in --plain)."""
        self._extended(self.shown(self.controller.more()))

    def action_less(self) -> None:
        self._extended(self.shown(self.controller.less()))

    def _extended(self, events: list[Event]) -> None:
        changed = [e for e in events if isinstance(e, Extended)]
        if changed:
            delta = changed[-1].delta
            sign = "+" if delta > 0 else "−"
            self.show_notice(
                f"{sign}{short(abs(delta))}: this hold is now {short(changed[-1].seconds)}",
            )
            return
        for event in events:
            if isinstance(event, Refused):
                why = refusal_text(event, self.session)
                if why:
                    self.show_notice(why.rstrip("."))

    def action_advance(self) -> None:
        if self.session.step.user_paced:
            self.shown(self.controller.advance())

    def action_quit_session(self) -> None:
        # The clock waits while the question is asked; "keep going" picks it up again.
        paused_here = self.controller.ask_quit()
        self.shown([])

        def answered(yes: bool | None) -> None:
            self.shown(self.controller.quit_answered(bool(yes), paused_here))

        from backtimer.tui.screens.confirm import ConfirmScreen  # see _load_dialogs

        self.app.push_screen(
            ConfirmScreen(
                "End the session now?",
                "It will be recorded as ended early.",
                yes="End session",
                no="Keep going",
            ),
            answered,
        )

    def interrupted(self) -> None:
        """The app is closing in mid-session (ctrl+q, SIGTERM, SIGHUP): silence, and tell
        every runner listener that has an ``on_interrupted()`` method (as --plain does)."""
        self._stop_ticks()
        self.controller.interrupted()

    # ------------------------------------------------------------------ pain

    def pain_stop(self) -> bool:
        """Stop now: the engine's PAIN command runs before anything else (the cue layer
        silences on PainStopped). Returns False if there was no session to stop."""
        stopped = self.controller.pain()
        if stopped is None:
            return False
        self._handle([])
        pop_above(self)
        from backtimer.tui.screens.pain import PainScreen  # see _load_dialogs

        self.app.push_screen(
            PainScreen(
                stopped,
                stop_if=self.controller.stop_if(stopped),
                exercise=self.routine.exercises[stopped.exercise_index],
                form=self.controller.pain_form,
            ),
            callback=self._after_pain,
        )
        return True

    def _after_pain(self, details: PainDetails | None) -> None:
        """The pain screen's answers and choice (None: closed without one, the default:
        end the session; "mistake": no pain, back to the step as it was, running or paused)."""
        self.shown(self.controller.finish_pain(details))
