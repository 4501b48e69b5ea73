"""The remote for ``--plain``, whose loop waits on its input with select() rather than
asyncio: the server runs in an asyncio loop of its own thread (:class:`ServerThread`), and
its commands reach the session's thread through an :class:`Inbox`, whose pipe the plain
loop's wait watches too. The controller is only ever driven from the session's thread."""

from __future__ import annotations

import select
from collections.abc import Callable
from typing import Any

from backtimer.remote import RemoteError
from backtimer.remote.options import RemoteOptions, terminal_text
from backtimer.remote.server import Inbox, RemoteServer, ServerThread
from backtimer.remote.state import RemoteView
from backtimer.session.controller import SessionController


class PlainRemote:
    def __init__(self, options: RemoteOptions, controller: SessionController) -> None:
        self.options = options
        self.inbox = Inbox()
        self.server = RemoteServer(self.inbox.put, lan=options.lan, port=options.port)
        self.thread = ServerThread(self.server)
        self.view = RemoteView(
            controller.session, controller.routine, self.server.publish_threadsafe, controller.now
        )
        controller.runner.add_listener(self.view)

    def start(self) -> None:
        try:
            self.thread.start()
        except OSError as exc:
            self.inbox.close()
            where = f"port {self.options.port}" if self.options.port else "a free port"
            raise RemoteError(
                f"the phone remote cannot listen on {where}: {exc.strerror or exc}"
            ) from exc
        self.view.refresh()

    def terminal_text(self) -> str:
        return terminal_text(self.server.url, lan=self.options.lan)

    def wait_with(self, source: Any) -> Callable[[float], bool]:
        """Plain mode's wait for input, woken early by a command from the phone too;
        True only when the input itself may be read."""
        inbox = self.inbox.fileno()

        def wait(timeout: float) -> bool:
            if not source.eof and source.fd is None:
                return True  # a stream read a line at a time: never blocks on select
            watched = [inbox]
            if not source.eof:
                watched.append(source.fd)
            try:
                ready, _, _ = select.select(watched, [], [], timeout)
            except (OSError, ValueError):
                return source.wait(timeout)
            return not source.eof and source.fd in ready

        return wait

    def stop(self) -> None:
        """The session is over: the page hears so, then the server stops."""
        self.view.refresh()
        self.thread.stop()
        self.inbox.close()
