"""The phone remote in the full-screen app: its server runs in the app's own event loop.

Loaded only when a session is started with the remote (``run --remote`` or the picker's
remote key), so the app starts as fast without it. A command from the page runs what its key
runs on the screen it belongs to: a session key on the session screen, the pain stop as the
app's pain key, a choice after a pain stop on the pain screen (with the page's answers in
its fields), Start on the screen that shows the address.
"""

from __future__ import annotations

import contextlib
from typing import Any

from backtimer.core.engine import State
from backtimer.remote.options import RemoteOptions, how_to
from backtimer.remote.qr import qr_lines
from backtimer.remote.server import RemoteServer
from backtimer.remote.state import RemoteCommand, RemoteView
from backtimer.session.commands import Key, commands, key_words
from backtimer.session.controller import SessionController
from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.remote import RemoteScreen
from backtimer.tui.screens.session import SessionScreen


class AppRemote:
    """One session's remote: a server, the view that feeds it, and the screen with its
    address. :meth:`begin` shows the address, then the session when asked to start."""

    def __init__(self, app: Any, options: RemoteOptions) -> None:
        self.app = app
        self.options = options
        self.server = RemoteServer(self.command, lan=options.lan, port=options.port)
        self.view: RemoteView | None = None
        self.screen: SessionScreen | None = None
        self.address_screen: RemoteScreen | None = None

    async def begin(self, controller: SessionController, screen: SessionScreen) -> None:
        """Listen, then show the address; the session screen comes when it is started."""
        self.screen = screen
        try:
            await self.server.start()
        except OSError as exc:
            self.app.push_screen(screen)
            self.app.notify(
                f"The phone remote could not start: {exc.strerror or exc}. "
                "The session goes on without it.",
                severity="error",
                timeout=15,
            )
            return
        view = self.view = RemoteView(
            controller.session, controller.routine, self.server.publish, controller.now
        )
        view.waiting = True
        controller.runner.add_listener(view)
        view.refresh()
        url = self.server.url
        self.address_screen = RemoteScreen(
            controller.routine.name,
            qr_lines(url),
            how_to(url, lan=self.options.lan, switch=self._lan_key()),
            lan=self.options.lan,
            to_lan=self.to_lan,
            covered=self._covered,
        )

        def answered(start: bool | None) -> None:
            self.address_screen = None
            if start:
                self.app.push_screen(screen)
            else:
                self.app.run_worker(self.stop(), exit_on_error=False)
                self.app.remote_cancelled(self)

        self.app.push_screen(self.address_screen, answered)

    def _stop_shown(self) -> PainScreen | None:
        """The pain screen of a stop before the start (the safety message, over the
        address), or None."""
        address = self.address_screen
        stack = list(self.app.screen_stack)
        if address is None or address not in stack:
            return None
        above = stack[stack.index(address) + 1 :]
        return next((s for s in above if isinstance(s, PainScreen) and s.event is None), None)

    def _covered(self) -> None:
        """The address screen was covered or shown again: the page shows a stop before the
        start while its safety message is up, and READY TO START again once it is closed."""
        view = self.view
        if view is None or not view.waiting:
            return
        stopped = self._stop_shown() is not None
        if stopped != view.stopped:
            view.stopped = stopped
            view.refresh()

    def _lan_key(self) -> str:
        """The key that lets the network in, as the user's keymap has it."""
        keymap = dict(getattr(self.app.config, "keymap", {}) or {})
        return key_words(keymap.get("remote_lan") or "l")

    async def to_lan(self) -> tuple[list[str], list[str]] | None:
        """Listen on the network instead, with a new secret: the new code and words, or
        None if it cannot (said in a notice; the address on this computer stays)."""
        port = self.options.port
        old = self.server
        server = RemoteServer(self.command, lan=True, port=port)
        try:
            if port:
                await old.stop()  # the same port: the old address must let go first
            await server.start()
        except OSError as exc:
            self.app.notify(
                f"The phone remote cannot listen on the network: {exc.strerror or exc}",
                severity="error",
                timeout=15,
            )
            if port:  # back on this computer, at the same address
                self.server = RemoteServer(self.command, port=port, secret=old.secret)
                with contextlib.suppress(OSError):
                    await self.server.start()
                self._follow()
            return None
        if not port:
            await old.stop()
        self.server = server
        self.options = RemoteOptions(port=port, lan=True)
        self._follow()
        return qr_lines(server.url), how_to(server.url, lan=True)

    def _follow(self) -> None:
        """The view publishes to the server now in use."""
        if self.view is not None:
            self.view.publish = self.server.publish
            self.view.refresh()

    # ------------------------------------------------------------------ commands

    def command(self, command: RemoteCommand) -> None:
        """A command from the page (in the app's loop): it does what its key does on the
        screen shown now, as the command table says where each key applies. A session key
        acts only when the session screen itself is shown (over a question or the help, the
        key would go to that screen, which has no such key); the pain stop is the app's
        key, so it works over every screen, as ``x`` does; a choice after a pain stop goes
        to the pain screen shown, with the page's answers in its fields."""
        key = command.key
        top = self.app.screen
        if key.id == "remote_start":
            if self.address_screen is not None and top is self.address_screen:
                self.address_screen.action_start()
            return
        screen = self.screen
        if screen is None:
            return
        stop = self._stop_shown()
        if key.where == "pain" and stop is not None and self.app.screen is stop:
            # A stop before the start: by mistake closes the safety message (back to the
            # address); end closes it and does not start; there is nothing to skip or resume.
            if key.plain == "mistake":
                stop.dismiss(None)
            elif key.plain == "end":
                self.app.run_worker(self._end_before_start(stop), exit_on_error=False)
            return
        if key.where == "app":
            # While this remote's session waits for Start or runs (never after its end).
            waiting = self.address_screen is not None and self.address_screen.is_attached
            if (waiting or (screen.is_attached and screen.live)) and self.app.check_action(
                key.action, ()
            ):
                getattr(self.app, f"action_{key.action}")()
            return
        if not screen.is_attached or not screen.live:
            return
        if key.where == "pain":
            if (
                isinstance(top, PainScreen)
                and top.event is not None
                and screen.session.state is State.PAIN_STOPPED
            ):
                top.answer(command.where, command.how_much, command.note)
                top.action_choose(key.plain)  # type: ignore[arg-type]  # a PainChoice
            return
        if key.where != "session" or top is not screen:
            return
        action = session_action(screen, key)
        if action is not None:
            action()

    async def _end_before_start(self, stop: PainScreen) -> None:
        await stop.dismiss(None)
        address = self.address_screen
        if address is not None and self.app.screen is address:
            address.action_escape()  # not started: as escape on the address

    # ------------------------------------------------------------------ the end

    def session_over(self) -> None:
        """The session has ended: the page shows so, then the server stops."""
        if self.view is not None:
            self.view.refresh()
        self.app.run_worker(self.stop(), exit_on_error=False)

    async def stop(self) -> None:
        await self.server.stop()

    def close_now(self) -> None:
        """The app is closing: stop listening at once (no await possible there)."""
        runner = self.server._runner
        if runner is None:
            return
        for site in list(runner.sites):
            server = getattr(site, "_server", None)
            if server is not None:
                with contextlib.suppress(Exception):
                    server.close()
        self.server._closed = True
        self.server.end_streams()


def session_action(screen: SessionScreen, key: Key) -> Any:
    """What the session screen runs for ``key``'s key now: the first command of its section
    on the same keys that the screen allows (space pauses while running and resumes while
    paused, as the footer shows), or None when none does (as the key would do nothing)."""
    for other in commands("session"):
        if other.keys != key.keys or not screen.check_action(other.action, ()):
            continue
        action = getattr(screen, f"action_{other.action}", None)
        if callable(action):
            return action
    return None
