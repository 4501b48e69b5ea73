"""The phone remote: a small web page that follows a session and drives it.

``backtimer run ROUTINE --remote`` (or the picker's remote key) serves the page from the
app's own event loop (:mod:`backtimer.remote.server`); the page shows what the session
screen shows in brief (:mod:`backtimer.remote.state`) and sends the command table's
commands (:mod:`backtimer.session.commands`) back, which the front end runs exactly as if
their keys had been pressed. Front ends import this package lazily, only with --remote.
"""


class RemoteError(Exception):
    """The remote could not start (a port in use): said in words, the session not begun."""
