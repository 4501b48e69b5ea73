"""Textual bindings from the command table (:mod:`backtimer.session.commands`).

Every screen's ``BINDINGS`` is ``bindings("its section")``: the keys, ids and descriptions
live in one table that ``--plain``, the help screen, ``backtimer keys`` and the README read
too.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from backtimer.session.commands import Key, commands


def binding(key: Key) -> Binding:
    return Binding(
        key.keys,
        key.action,
        key.label,
        show=key.show,
        key_display=key.key_display,
        priority=key.priority,
        tooltip=key.description,
        id=key.id,
    )


def bindings(where: str) -> list[BindingType]:
    """The Textual bindings of one section of the command table, in its order."""
    return [binding(key) for key in commands(where)]
