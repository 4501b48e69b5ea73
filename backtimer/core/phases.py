"""Every fact about the phases of a session, in one table (rules as data, the h11 way).

The engine (which steps are counted down, which can be made longer), the screens (the phase
in words and its colour class), plain mode, the summary and the history's queries (which
steps are work) read these facts here instead of spelling them out. A phase added here is
known everywhere at once; a fact changed here changes everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Phase = Literal["get_ready", "hold", "rep", "rest", "switch_sides", "set_rest", "transition"]


@dataclass(frozen=True)
class PhaseInfo:
    name: str  # as in the plan, its JSON and the history: "switch_sides"
    word: str  # on the screen, which never says it with colour alone: "SWITCH SIDES"
    when: str  # when in a step something happened: "while switching sides"
    work: bool  # a hold or a rep: what summaries, adherence and levels count
    in_sets: bool  # part of an exercise's sets: the screen shows its side, rep and set
    in_rep: bool  # belongs to a rep: "rep 2 of 3" says where in the exercise it was
    extendable: bool  # + and - make it longer or shorter (and a summary offers to keep it)
    counted_down: bool  # its last seconds are counted down; a long one gets a halfway cue
    stretchable: bool  # lasts as long as its words need: made longer (never shorter) for them

    @property
    def style(self) -> str:
        """The style class that colours it on screen (``screens/session.tcss``): "phase-hold"."""
        return f"phase-{self.name}"

    @property
    def words(self) -> str:
        """Its name in lower-case words, for a line of text: "switch sides"."""
        return self.name.replace("_", " ")


def _phase(
    name: str,
    word: str,
    when: str,
    *,
    work: bool = False,
    in_sets: bool = True,
    in_rep: bool = False,
    extendable: bool = False,
    counted_down: bool = False,
    stretchable: bool = False,
) -> PhaseInfo:
    return PhaseInfo(name, word, when, work, in_sets, in_rep, extendable, counted_down, stretchable)


#: The phases of a plan, in the order a plan introduces them.
PHASES: dict[str, PhaseInfo] = {
    p.name: p
    for p in (
        _phase("get_ready", "GET READY", "while getting ready", in_sets=False, stretchable=True),
        _phase(
            "hold",
            "HOLD",
            "during the hold",
            work=True,
            in_rep=True,
            extendable=True,
            counted_down=True,
        ),
        _phase("rep", "REPS", "", work=True, in_rep=True),
        _phase("rest", "REST", "during the rest", in_rep=True, stretchable=True),
        _phase("switch_sides", "SWITCH SIDES", "while switching sides", stretchable=True),
        _phase("set_rest", "SET REST", "between sets", stretchable=True),
        _phase("transition", "NEXT EXERCISE", "between exercises", in_sets=False, stretchable=True),
    )
}

#: Not a step of a plan: what the screen shows once the session is over.
DONE = _phase("done", "DONE", "", in_sets=False)

#: The phases that are work, in plan order: ("hold", "rep").
WORK_PHASES: tuple[str, ...] = tuple(name for name, p in PHASES.items() if p.work)


def phase_info(name: str) -> PhaseInfo:
    """The facts about a phase by name ("done" included). An unknown name (from an old
    history file, say) gets plain facts: its name in words, nothing counted, nothing timed."""
    if name == DONE.name:
        return DONE
    found = PHASES.get(name)
    if found is not None:
        return found
    return _phase(name, name.replace("_", " ").upper(), name.replace("_", " "), in_sets=False)
