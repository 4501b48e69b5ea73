"""The pain stop: the safety message, the exercise's stop_if, optional details, then a choice.

By the time this screen is shown, the session's clock and sound have already stopped (the
session screen runs the engine's PAIN command first). ``PainScreen(None)`` is the same
message without a session (from the picker, help or summary): it only says what to do.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet, Static

from backtimer.core.engine import PainStopped
from backtimer.core.phases import phase_info
from backtimer.core.routine import Exercise
from backtimer.core.timeline import side_words
from backtimer.tui.keys import bindings
from backtimer.tui.messages import PainChoice, PainDetails
from backtimer.tui.screens import OwnStyles
from backtimer.tui.widgets.text import PAIN_PLACES, SAFETY_MESSAGE, literal, stop_if_text

if TYPE_CHECKING:  # the session's code is imported where a session is prepared
    from backtimer.session.controller import PainForm


def where_stopped(event: PainStopped, exercise: Exercise | None = None) -> Text:
    """ "Knee to chest, right side, rep 1 of 2, hold" (literal exercise name; the side in
    ``exercise``'s own side words where it has them, as the voice says it)."""
    text = literal(event.exercise, "bold")
    parts = []
    if event.side:
        parts.append(side_words(exercise, event.side))
    info = phase_info(event.phase)
    if event.step.reps > 1 and info.in_rep:
        parts.append(f"rep {event.rep} of {event.step.reps}")
    if event.step.sets > 1:
        parts.append(f"set {event.set} of {event.step.sets}")
    if info.when:
        parts.append(info.when)
    if parts:
        text.append_text(literal(", " + ", ".join(parts), lines=False))
    return text


class PainScreen(OwnStyles, ModalScreen[PainDetails | None]):
    """Stop. Where, how much, a note; then end the session (default), skip, or resume."""

    # Its rules (Textual CSS), added when it is first shown (see OwnStyles); $stopped is
    # the session's (screens/session.tcss).
    STYLES = """
        $stopped: #a8322d;

        PainScreen {
            align: center middle;
            background: $background 60%;
        }

        #pain-dialog {
            width: 76;
            max-width: 100%;
            height: auto;
            max-height: 100%;
            border: thick $stopped;
            background: $surface;
            padding: 0 1;
        }

        #pain-title {
            width: 100%;
            text-align: center;
            text-style: bold;
            color: #ffffff;
            background: $stopped;
        }

        #pain-message {
            text-style: bold;
            margin-top: 1;
        }

        #pain-stop-if {
            color: $text-error;
        }

        #pain-at {
            color: $text-muted;
            margin-bottom: 1;
        }

        .pain-label {
            color: $text-muted;
        }

        #pain-where {
            layout: grid;
            grid-size: 3;
            grid-rows: 1;
            height: auto;
            width: 100%;
            margin-bottom: 1;
        }

        #pain-fields {
            height: auto;
            margin-bottom: 1;
        }

        #pain-how-much-box {
            width: 18;
            height: auto;
        }

        #pain-how-much {
            width: 8;
        }

        #pain-note-box {
            width: 1fr;
            height: auto;
        }

        .pain-buttons {
            height: auto;
            margin-top: 1;
            align-horizontal: center;
        }

        .pain-buttons Button {
            margin: 0 1;
            padding: 0;  /* four buttons fit a 60-column terminal */
            min-width: 0;
            width: auto;
        }

        .pain-buttons Button.-default {
            background: $panel-lighten-1;
        }

        #pain-dialog Input {
            background: $panel-lighten-1;
        }

        #pain-where:blur > RadioButton.-selected > .toggle--label {
            background: transparent;
        }
    """

    BINDINGS: ClassVar[list[BindingType]] = [*bindings("pain"), *bindings("dialogs")]

    def __init__(
        self,
        event: PainStopped | None,
        *,
        stop_if: str | None = None,
        exercise: Exercise | None = None,
        form: PainForm | None = None,
    ) -> None:
        """``exercise``: the stopped one, whose own side words name its side. ``form``: the
        session's answers (a :class:`~backtimer.session.controller.PainForm`), kept up to
        date as they are typed, so that a session stopped before a choice is recorded with
        them (SIGTERM, SIGHUP, ctrl+q while this screen is open)."""
        super().__init__()
        self.event = event
        self.form = form
        self.stop_if = stop_if
        self.exercise = exercise
        self.answered_where: str | None = None  # given on the phone remote

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="pain-dialog"):
            yield Static("STOP", id="pain-title")
            yield Static(SAFETY_MESSAGE, id="pain-message")
            if self.stop_if:
                yield Static(stop_if_text(self.stop_if), id="pain-stop-if")
            if self.event is None:
                with Horizontal(classes="pain-buttons"):
                    yield Button("Close", id="close", variant="primary", compact=True)
                yield Footer(compact=True)
                return
            yield Static(
                Text("Stopped at: ").append_text(where_stopped(self.event, self.exercise)),
                id="pain-at",
            )
            yield Label("Where does it hurt? (optional)", classes="pain-label")
            with RadioSet(id="pain-where", compact=True):
                for place in PAIN_PLACES:
                    yield RadioButton(place, compact=True)
            with Horizontal(id="pain-fields"):
                with Vertical(id="pain-how-much-box"):
                    yield Label("How much, 0-10", classes="pain-label")
                    yield Input(
                        placeholder="0-10",
                        id="pain-how-much",
                        restrict=r"[0-9]{0,2}",
                        max_length=2,
                        compact=True,
                    )
                with Vertical(id="pain-note-box"):
                    yield Label("Note", classes="pain-label")
                    yield Input(
                        placeholder="optional", id="pain-note", max_length=500, compact=True
                    )
            with Horizontal(classes="pain-buttons"):
                yield Button("End session", id="end", variant="error", compact=True)
                yield Button("Skip exercise", id="skip_exercise", compact=True)
                yield Button("Resume", id="resume", compact=True)
                yield Button("By mistake", id="mistake", compact=True)
        yield Footer(compact=True)

    def action_escape(self) -> None:
        """After a real stop escape decides nothing: it must not end or resume the session
        (it may be the key that stopped it, pressed twice); a choice's key or button does.
        The message shown without a session (over the picker, help, the level offer...)
        it closes, as its Close button does: nothing was stopped or recorded."""
        if self.event is None:
            self.dismiss(None)

    def on_mount(self) -> None:
        first = "#close" if self.event is None else "#end"
        self.query_one(first, Button).focus()

    def on_key(self, event: events.Key) -> None:
        """How much is one key away: a digit typed anywhere but in the note goes into it,
        and tab from the default button goes to it (not through every other button)."""
        if self.event is None:
            return
        how_much = self.query_one("#pain-how-much", Input)
        focused = self.focused
        if event.character and event.character.isdigit() and not isinstance(focused, Input):
            event.stop()
            event.prevent_default()
            how_much.focus()
            how_much.value = (how_much.value + event.character)[-2:]
            how_much.cursor_position = len(how_much.value)
        elif event.key == "tab" and focused is not None and focused.id == "end":
            event.stop()
            event.prevent_default()
            how_much.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "close":
            self.dismiss(None)
        elif event.button.id in ("end", "skip_exercise", "resume", "mistake"):
            self.action_choose(event.button.id)  # type: ignore[arg-type]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field: the default choice, end the session."""
        event.stop()
        self.query_one("#end", Button).focus()

    def answer(self, where: str | None, how_much: int | None, note: str | None) -> None:
        """Answers given elsewhere (the phone remote) go into the fields, as if typed."""
        if self.event is None:
            return
        if where in PAIN_PLACES:
            buttons = list(self.query_one("#pain-where", RadioSet).query(RadioButton))
            buttons[PAIN_PLACES.index(where)].value = True
            self.answered_where = where  # the radio set learns it only by a message
            self._keep()
        if how_much is not None:
            self.query_one("#pain-how-much", Input).value = str(how_much)
        if note is not None:
            self.query_one("#pain-note", Input).value = note

    def answers(self) -> tuple[str | None, int | None, str]:
        """Where, how much (None: empty or out of range) and the note, as they stand."""
        where = self.answered_where
        radio = self.query_one("#pain-where", RadioSet)
        if where is None and radio.pressed_index >= 0:
            where = PAIN_PLACES[radio.pressed_index]
        how_much_text = self.query_one("#pain-how-much", Input).value.strip()
        how_much = int(how_much_text) if how_much_text.isdigit() else None
        if how_much is not None and not 0 <= how_much <= 10:
            how_much = None
        return where, how_much, self.query_one("#pain-note", Input).value.strip()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._keep()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._keep()

    def _keep(self) -> None:
        if self.form is not None and self.event is not None:
            with contextlib.suppress(Exception):  # answers kept as they stand, never an error
                self.form.where, self.form.how_much, self.form.note = self.answers()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return self.event is not None
        return True

    def action_choose(self, choice: PainChoice) -> None:
        if self.event is None:
            self.dismiss(None)
            return
        if choice == "mistake":  # nothing to record: the details are not asked for
            self.dismiss(PainDetails(choice="mistake", event=self.event))
            return
        how_much_text = self.query_one("#pain-how-much", Input).value.strip()
        how_much: int | None = None
        if how_much_text:
            how_much = int(how_much_text)
            if not 0 <= how_much <= 10:
                self.notify("How much: a number from 0 to 10", severity="warning")
                self.query_one("#pain-how-much", Input).focus()
                return
        where, _, note = self.answers()
        self.dismiss(
            PainDetails(choice=choice, where=where, how_much=how_much, note=note, event=self.event)
        )
