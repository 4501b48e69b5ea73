"""A player that speaks on a fake clock, for listening tests without real time: each
utterance lasts as long as a length function says (the lengths the plan was fitted with, or
others), ``say`` cuts off what is being said, ``say_next`` waits for it (as the real players
do), ``silence`` cuts everything. What was heard, when, and what was cut, is in ``heard``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Utterance:
    text: str
    start: float  # when it is heard from, on the session's clock
    end: float  # when it ends (or was cut off)
    due: float  # when it was asked for
    cut: bool = False


class SpeakingPlayer:
    def __init__(self, clock: Callable[[], float], length: Callable[[str], float]) -> None:
        self.clock = clock
        self.length = length
        self.heard: list[Utterance] = []
        self.bells: list[float] = []

    def _last_end(self) -> float:
        return max((u.end for u in self.heard), default=float("-inf"))

    def bell(self) -> None:
        self.bells.append(self.clock())

    def say(self, text: str) -> None:
        self.silence()
        now = self.clock()
        self.heard.append(Utterance(text, now, now + self.length(text), now))

    def say_next(self, text: str, at: float | None = None) -> None:
        now = self.clock()
        start = max(now, self._last_end())
        self.heard.append(Utterance(text, start, start + self.length(text), now))

    def silence(self) -> None:
        now = self.clock()
        kept = []
        for said in self.heard:
            if said.start >= now and said.end > now:
                continue  # waiting: never heard
            if said.end > now:
                said.end, said.cut = now, True
            kept.append(said)
        self.heard = kept

    def close(self) -> None:
        pass

    @property
    def speaking(self) -> bool:
        """Whether something is heard now or waits to be (as the real players say)."""
        return self._last_end() > self.clock()

    @property
    def texts(self) -> list[str]:
        return [u.text for u in self.heard]

    def late(self, text: str) -> list[float]:
        """How late each utterance of ``text`` began after it was asked for."""
        return [round(u.start - u.due, 6) for u in self.heard if u.text == text]
