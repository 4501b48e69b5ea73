"""The phone remote: a small web page that follows a session and drives it.

``backtimer run ROUTINE --remote`` (or the picker's remote key) serves the page from the
app's own event loop (:mod:`backtimer.remote.server`); the page shows what the session
screen shows in brief (:mod:`backtimer.remote.state`) and sends the command table's
commands (:mod:`backtimer.session.commands`) back, which the front end runs exactly as if
their keys had been pressed. Front ends import this package lazily, only with --remote;
:func:`unavailable` first says, in words, when its libraries are not installed.
"""

from __future__ import annotations

import importlib
import sys

#: The libraries the remote needs beyond the rest of backtimer (dependencies since the remote
#: came: a virtualenv made before that lacks them until backtimer is installed again).
LIBRARIES = ("segno", "aiohttp")


class RemoteError(Exception):
    """The remote could not start (a port in use): said in words, the session not begun."""


def unavailable() -> str | None:
    """Why the remote cannot run here, as one message (None: it can): which of its libraries
    (or of theirs) cannot be imported, and how to install them."""
    missing: list[str] = []
    for library in LIBRARIES:
        try:
            importlib.import_module(library)
        except ImportError as exc:
            name = exc.name if isinstance(exc, ModuleNotFoundError) else None
            missing.append(library if name in (None, library) else f"{library} (its {name})")
    if not missing:
        return None
    names = " and ".join(missing)
    verb = "is" if len(missing) == 1 else "are"
    return (
        f"the phone remote needs {names}, which {verb} not installed in this Python "
        f"environment. Install backtimer into it again, from backtimer's source folder: "
        f"'{sys.executable} -m pip install -e .' (or the README's install command)."
    )
