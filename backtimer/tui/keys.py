"""Textual bindings from the command table (:mod:`backtimer.session.commands`).

Every screen's ``BINDINGS`` is ``bindings("its section")``: the keys, ids and descriptions
live in one table that ``--plain``, the help screen, ``backtimer keys`` and the README read
too.
"""

from __future__ import annotations

from typing import Any

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


def close_top(top: Any) -> None:
    """Escape where it is not the pain stop: the screen on top closes as its own escape,
    close or cancel action does (a dialog's cancel choice), else it is dismissed. The app's
    escape and the history screen on its own (``backtimer history``) both close so."""
    for name in ("escape", "close", "cancel"):
        action = getattr(top, f"action_{name}", None)
        if callable(action):
            action()
            return
    top.dismiss(None)
