"""The terminal bell: the sound of last resort (many terminals mute it or flash instead)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO


def terminal_bell(stream: IO[str] | None = None) -> Callable[[], None]:
    """A bell function: BEL to ``stream`` (stdout by default) if it is a terminal."""

    def ring() -> None:
        out = stream if stream is not None else sys.stdout
        try:
            if out.isatty():
                out.write("\a")
                out.flush()
        except (OSError, ValueError):
            pass  # closed or gone: a bell is not worth an error

    return ring
