"""The session screen: the phase in words and colour, a big countdown, what to do, what's next.

The screen owns a :class:`~backtimer.session.runner.SessionRunner`. One interval (0.25 s) calls
:meth:`SessionScreen.tick`; the widgets are only updated when something they show changes
(the countdown shows ``ceil(remaining)``), so a running session redraws about once a second.
Keys call the runner's commands directly; the pain stop (an app binding) calls
:meth:`SessionScreen.pain_stop`, which stops the engine's clock before anything else happens.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from backtimer.core.durations import countdown as clock
from backtimer.core.durations import mmss, short, shown_seconds
from backtimer.core.engine import (
    Command,
    EndedEarly,
    Event,
    Extended,
    Finished,
    PainStopped,
    Paused,
    Refused,
    State,
)
from backtimer.core.phases import DONE, PHASES
from backtimer.core.plan import Plan, Step, compile_plan
from backtimer.core.progression import describe_level, high_level
from backtimer.core.routine import Exercise, LevelChoice, Routine
from backtimer.files.catalog import Entry
from backtimer.session.runner import Clock, Listener, SessionRunner
from backtimer.tui.messages import PainDetails
from backtimer.tui.screens import pop_above
from backtimer.tui.screens.summary import SummaryScreen, Tally
from backtimer.tui.widgets.bigtext import BigText
from backtimer.tui.widgets.keybar import KeyBar
from backtimer.tui.widgets.meter import Meter
from backtimer.tui.widgets.text import counter_line, literal, side_words, step_brief, stop_if_text

EXTEND_BY = 5.0  # seconds added or removed by + and -
MIN_WAKE = 0.02  # seconds: the shortest wait between two ticks
WAKE_MARGIN = 0.01  # seconds: wake just after a whole second, not just before it

PHASE_CLASSES = tuple(p.style for p in (*PHASES.values(), DONE))


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


class SessionScreen(Screen[None]):
    """A running session. Built by the app; see the module's docstring."""

    ESCAPE_IS_PAIN = True  # nothing is open over it: escape is a pain stop here (as x)

    # In the footer's order: what matters most comes first (narrow terminals cut the end).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "pause", "Pause", id="pause", tooltip="Pause / resume"),
        Binding("space", "resume", "Resume", id="resume", tooltip="Resume (when paused)"),
        Binding("n", "skip_step", "Skip", id="skip_step", tooltip="Skip this step"),
        Binding(
            "plus,equals_sign",
            "extend(5)",
            "±5s",
            key_display="+/-",
            id="more",
            tooltip="Five seconds more on this hold",
        ),
        Binding(
            "minus",
            "extend(-5)",
            "5s less",
            show=False,
            id="less",
            tooltip="Five seconds less on this hold",
        ),
        Binding(
            "enter",
            "advance",
            "Done",
            key_display="enter",
            id="advance",
            tooltip="Done with a step at your own pace",
        ),
        Binding(
            "q", "quit_session", "Quit", id="quit", tooltip="End the session early (asks first)"
        ),
        Binding(
            "b",
            "back",
            "Back",
            id="back",
            tooltip="Restart this step (at its start: the one before)",
        ),
        Binding(
            "N",
            "skip_exercise",
            "Skip ex.",
            key_display="N",
            id="skip_exercise",
            tooltip="Skip the rest of this exercise",
        ),
    ]

    def __init__(
        self,
        entry: Entry,
        *,
        level: Any = "low",
        clock: Clock,
        listeners: Sequence[Listener] = (),
        tick_interval: float | None = 1.0,
        plan: Plan | None = None,
        routine: Routine | None = None,
        start_index: int = 0,
        countdown: int = 3,
    ) -> None:
        """``plan``/``routine`` as prepared by :func:`backtimer.session.launch.prepare` (settings
        applied); ``start_index`` > 0 resumes an interrupted session at that step."""
        super().__init__()
        assert entry.routine is not None
        self.entry = entry
        self.level = level  # "low", "high", or {exercise index: LevelChoice}
        self.routine: Routine = routine if routine is not None else entry.routine
        self.plan: Plan = plan if plan is not None else compile_plan(self.routine, level)
        self.tally = Tally(self.plan)
        self.runner = SessionRunner(
            self.plan,
            clock=clock,
            listeners=[*listeners, self.tally],
            start_index=start_index,
            countdown=countdown,
        )
        self.tick_interval = tick_interval
        self.redraws = 0  # how many times the display changed (for tests and benchmarks)
        self._shown: dict[str, Hashable] = {}
        self._view: Hashable = None
        self._timer: Timer | None = None
        self._over = False
        self._notices: list[tuple[str, str, int, int]] = []  # message, until, step, exercise

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Static(literal(self.routine.name), id="routine-name")
            yield Static("", id="exercise-count")
        with Vertical(id="phase-band"):
            yield BigText(id="phase-big")
            yield Static("", id="phase")
        with Vertical(id="clock"):
            yield BigText(id="countdown", fit="88")
            yield Static("", id="clock-text")
        yield Meter(id="step-meter")
        yield Static("", id="exercise")
        yield Static("", id="hint")
        yield Static("", id="notice", markup=False)
        with VerticalScroll(id="details", can_focus=False):
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
        self._handle(self.runner.do(Command.START))
        if self.session.index > 0:
            # Resumed mid-exercise: the clock waits until the person is back in position.
            from backtimer.session.launch import resume_prompt

            self.do(Command.PAUSE)
            prompt = f"{resume_prompt(self.session.step)} Then press space."
            self.show_notice(prompt, until="resume")
            player = getattr(self.app, "player", None)
            if player is not None and getattr(self.app, "voice_on", False):
                player.say(prompt)
        self._schedule()

    def on_resize(self, event: Any) -> None:
        self._fit_to(self.app.size.height)

    def _fit_to(self, height: int) -> None:
        """Big text as large as the terminal allows: the countdown about a third of its height
        (13 rows at 40), the phase word big where there are 30 rows or more."""
        countdown = self.query_one("#countdown", BigText)
        countdown.update(countdown.value, largest=max(1, (height - 14) // 5))
        phase_big = self.query_one("#phase-big", BigText)
        largest = 0 if height < 30 else (1 if height < 48 else 2)
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
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
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
        self._timer = self.set_timer(delay, self._wake, name="session-tick")

    def _wake(self) -> None:
        self.tick()
        self._schedule()

    # ------------------------------------------------------------------ driving

    @property
    def session(self) -> Any:
        return self.runner.session

    @property
    def live(self) -> bool:
        """A session that has not finished or ended."""
        return not self.session.over

    def tick(self) -> list[Event]:
        """Advance the engine to the clock's time; redraw only if the display changed."""
        events = self.runner.tick()
        self._handle(events)
        return events

    def do(self, command: Command, amount: float = 0.0) -> list[Event]:
        events = self.runner.do(command, amount)
        self._handle(events)
        self._schedule()  # a key can move the next change (pause, +5 s, skip)
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
        if self._timer is not None:
            self._timer.stop()
        pop_above(self)
        self.app.switch_screen(SummaryScreen(self.tally, self.routine.name, self.entry))

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
        now = self.runner.now()
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
            classes = {cls: cls == info.style for cls in PHASE_CLASSES}
            classes["-paused"] = state is State.PAUSED
            classes["-stopped"] = state is State.PAIN_STOPPED
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
            self.query_one("#clock-text", Static).update(
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
            extra = [w for w in (side_words(step), counter_line(step)) if w]
            if step.phase_info.in_sets and extra:
                text.append(" · " + " · ".join(extra))
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
                    text.append("\n• ").append_text(literal(line))
                cautions.update(text)
            self.query_one("#instructions", Static).update(instructions(exercise))
            caution = self.query_one("#caution", Static)
            caution.display = bool(exercise.caution)
            if exercise.caution:
                caution.update(
                    Text("Caution: ", style="bold").append_text(literal(exercise.caution))
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
                text.append_text(literal(step_brief(following, seconds)))
            self.query_one("#next", Static).update(text)

        self._set("next", (session.index, session.over), set_next)
        total = self.plan.total_seconds or 1.0
        done = max(0.0, total - float(left or 0))
        self.query_one("#session-meter", Meter).update(done / total, f"{mmss(left or 0)} left")
        self._set("bindings", (session.index, state), self.refresh_bindings)
        return True

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.session
        step = session.step
        # Keys that do nothing on this step are left out of the footer.
        if action == "extend":
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
        state = self.session.state
        if state is State.RUNNING:
            self.do(Command.PAUSE)
        elif state is State.PAUSED:
            self.do(Command.RESUME)

    def action_resume(self) -> None:
        if self.session.state is State.PAUSED:
            self.do(Command.RESUME)

    def action_skip_step(self) -> None:
        self.do(Command.SKIP_STEP)

    def action_skip_exercise(self) -> None:
        self.do(Command.SKIP_EXERCISE)

    def action_back(self) -> None:
        self.do(Command.BACK)

    def action_extend(self, seconds: float) -> None:
        events = self.do(Command.EXTEND, float(seconds))
        changed = [e for e in events if isinstance(e, Extended)]
        if changed:
            delta = changed[-1].delta
            sign = "+" if delta > 0 else "−"
            self.show_notice(
                f"{sign}{short(abs(delta))}: this hold is now {short(changed[-1].seconds)}",
            )
        elif any(isinstance(e, Refused) for e in events):
            step = self.session.step
            why = (
                "only a hold can be made longer or shorter"
                if not step.phase_info.extendable
                else "the hold cannot be shorter than that"
            )
            self.show_notice(why.capitalize())

    def action_advance(self) -> None:
        if self.session.step.user_paced:
            self.do(Command.ADVANCE)

    def action_quit_session(self) -> None:
        from backtimer.tui.screens.confirm import ConfirmScreen

        # The clock waits while the question is asked; "keep going" picks it up again.
        paused_here = self.session.state is State.RUNNING
        if paused_here:
            self.do(Command.PAUSE)

        def answered(yes: bool | None) -> None:
            if not self.live:
                return
            if yes:
                self.do(Command.END)
            elif paused_here and self.session.state is State.PAUSED:
                self.do(Command.RESUME)

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
        if self._timer is not None:
            self._timer.stop()
        player = getattr(self.app, "player", None)
        with contextlib.suppress(Exception):
            if player is not None:
                player.silence()
        for listener in self.runner.listeners:
            hook = getattr(listener, "on_interrupted", None)
            if callable(hook):
                with contextlib.suppress(Exception):
                    hook()

    # ------------------------------------------------------------------ pain

    def pain_stop(self) -> bool:
        """Stop now: the engine's PAIN command runs before anything else (the cue layer
        silences on PainStopped). Returns False if there was no session to stop."""
        if not self.session.accepts(Command.PAIN):
            return False
        events = self.runner.do(Command.PAIN)
        stopped = next((e for e in events if isinstance(e, PainStopped)), None)
        self._handle(events)
        if stopped is None:
            return False
        from backtimer.tui.screens.pain import PainScreen

        pop_above(self)
        exercise = self.routine.exercises[stopped.exercise_index]
        self.app.push_screen(
            PainScreen(stopped, stop_if=exercise.stop_if), callback=self._after_pain
        )
        return True

    def _after_pain(self, details: PainDetails | None) -> None:
        if not self.live:
            return
        if details is None:  # closed without a choice: the default, end the session
            details = PainDetails("end")
        if details.choice == "mistake":
            # No pain: nothing reported to the listeners (the engine's PainWithdrawn tells
            # the recorder to keep it as a pause); the step goes on where it was.
            self.do(Command.MISTAKE)
            return
        for listener in self.runner.listeners:
            report = getattr(listener, "on_pain_details", None)
            if callable(report):
                report(details, self.session)
        command = {
            "end": Command.END,
            "skip_exercise": Command.SKIP_EXERCISE,
            "resume": Command.RESUME,
        }[details.choice]
        self.do(command)
