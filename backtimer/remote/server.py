"""The remote's web server: the page, its live feed and its commands, behind a secret.

An aiohttp server (a maintained HTTP library, the one Textual's own web tooling uses) runs in
the event loop of the front end that hosts it: the Textual app's own loop, or, for
``--plain`` (whose loop is not asyncio), a loop in a thread of its own
(:class:`ServerThread`). It serves

- ``/SECRET/``: the page (``page/``: HTML, CSS and JS as package data, no inline script);
- ``/SECRET/events``: the session as server-sent events, one JSON snapshot per change
  (:mod:`backtimer.remote.state`); the browser's EventSource reconnects by itself;
- ``/SECRET/state``: the latest snapshot, once;
- ``/SECRET/command``: a POST of ``{"command": binding id, ...}``, handed to ``submit``.

Every path starts with a new random secret for each session (:func:`new_secret`, 256 bits),
compared in constant time (:func:`hmac.compare_digest`); anything else gets 403. It listens
on loopback unless the LAN is asked for. A client that goes away changes nothing: the
session only ever hears commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import secrets
import socket
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

from aiohttp import web

from backtimer.remote.state import RemoteCommand, parse_command

LOOPBACK = "127.0.0.1"
KEEPALIVE = 15.0  # seconds between keep-alive comments on an idle event stream
RETRY_MS = 1000  # how soon a browser reconnects after the stream breaks
MAX_BODY = 4096  # bytes: a command is small

#: The page's files and their content types (nothing else is served).
FILES = {
    "": ("index.html", "text/html; charset=utf-8"),
    "index.html": ("index.html", "text/html; charset=utf-8"),
    "remote.css": ("remote.css", "text/css; charset=utf-8"),
    "remote.js": ("remote.js", "text/javascript; charset=utf-8"),
}

#: On every answer: nothing cached or sent on elsewhere (the secret is in the address), no
#: script but the page's own, not framed by another site.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}

Submit = Callable[[RemoteCommand], None]


def new_secret() -> str:
    """A fresh secret for one session: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def lan_address() -> str:
    """This machine's address on its local network, for the URL a phone opens (with
    --lan). A UDP socket's connect() only picks the route: it sends nothing."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never contacted
        address = probe.getsockname()[0]
        if address and not address.startswith("0."):
            return str(address)
    with contextlib.suppress(OSError):
        return socket.gethostbyname(socket.gethostname())
    return LOOPBACK


def page_file(name: str) -> bytes:
    return resources.files("backtimer.remote").joinpath("page", name).read_bytes()


class RemoteServer:
    """The server; see the module's docstring. ``submit`` runs in the server's loop for
    every valid command; :meth:`publish` must be called in that loop too
    (:meth:`publish_threadsafe` from any other thread)."""

    def __init__(
        self,
        submit: Submit,
        *,
        lan: bool = False,
        port: int = 0,
        secret: str | None = None,
    ) -> None:
        self.submit = submit
        self.lan = lan
        self.port = port
        self.secret = secret or new_secret()
        self.bind_host = "0.0.0.0" if lan else LOOPBACK
        self.host = lan_address() if lan else LOOPBACK
        self.latest: dict[str, Any] | None = None
        self.commands = 0  # commands accepted (for tests)
        self.connections = 0  # event streams opened: a page reconnecting opens another
        self.loop: asyncio.AbstractEventLoop | None = None
        self._streams: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._runner: web.AppRunner | None = None
        self._closed = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/{self.secret}/"

    # ------------------------------------------------------------------ life

    async def start(self) -> None:
        """Listen (raises OSError if the port cannot be had)."""
        self.loop = asyncio.get_running_loop()
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.bind_host, self.port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        sockets = [address for address in runner.addresses if isinstance(address, tuple)]
        if sockets:
            self.port = int(sockets[0][1])

    async def stop(self) -> None:
        """Close every stream and stop listening (the page then says it is not connected,
        or that the session is over)."""
        self._closed = True
        self.end_streams()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def end_streams(self) -> None:
        """End every page's event stream (each browser connects again by itself while the
        server listens)."""
        for queue in list(self._streams):
            queue.put_nowait(None)

    # ------------------------------------------------------------------ the feed

    def publish(self, data: dict[str, Any]) -> None:
        """A new snapshot for every page that follows the session (in the server's loop)."""
        self.latest = data
        for queue in list(self._streams):
            queue.put_nowait(data)

    def publish_threadsafe(self, data: dict[str, Any]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            self.latest = data
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.publish(data)
        else:
            with contextlib.suppress(RuntimeError):  # the loop has just stopped
                loop.call_soon_threadsafe(self.publish, data)

    # ------------------------------------------------------------------ requests

    def _allowed(self, request: web.Request) -> tuple[bool, str]:
        """Whether the path starts with the secret; and the rest of the path."""
        _, _, path = request.path.partition("/")
        given, _, rest = path.partition("/")
        ok = hmac.compare_digest(given.encode("utf-8", "replace"), self.secret.encode())
        return ok, rest

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        allowed, rest = self._allowed(request)
        if not allowed:
            return web.Response(status=403, text="Forbidden\n", headers=HEADERS)
        if request.path == f"/{self.secret}":
            raise web.HTTPFound(f"/{self.secret}/", headers={"Cache-Control": "no-store"})
        if rest == "events" and request.method == "GET":
            return await self._events(request)
        if rest == "state" and request.method == "GET":
            return web.json_response(self.latest or {}, headers=HEADERS)
        if rest == "command":
            if request.method != "POST":
                return web.Response(status=405, headers={**HEADERS, "Allow": "POST"})
            return await self._command(request)
        if rest in FILES and request.method in ("GET", "HEAD"):
            name, kind = FILES[rest]
            return web.Response(body=page_file(name), headers={**HEADERS, "Content-Type": kind})
        return web.Response(status=404, text="Not found\n", headers=HEADERS)

    async def _command(self, request: web.Request) -> web.Response:
        try:
            data = json.loads(await request.text())
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"error": "expected JSON"}, status=400, headers=HEADERS)
        parsed = parse_command(data)
        if isinstance(parsed, str):
            return web.json_response({"error": parsed}, status=400, headers=HEADERS)
        if self._closed:
            return web.json_response({"error": "the session is over"}, status=409, headers=HEADERS)
        self.commands += 1
        self.submit(parsed)
        return web.json_response({"ok": True}, status=202, headers=HEADERS)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                **HEADERS,
                "Content-Type": "text/event-stream; charset=utf-8",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._streams.add(queue)
        self.connections += 1
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            if self.latest is not None:
                await response.write(_event(self.latest))
            while not self._closed:
                try:
                    item = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                closing = item is None
                while not queue.empty():  # only the newest snapshot matters
                    newer = queue.get_nowait()
                    if newer is None:
                        closing = True
                    else:
                        item = newer
                if item is not None:
                    await response.write(_event(item))
                if closing:
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass  # the page went away: nothing changes for the session
        finally:
            self._streams.discard(queue)
        return response


def _event(data: dict[str, Any]) -> bytes:
    # JSON has no raw line breaks, so one "data:" line carries it.
    return b"data: " + json.dumps(data, ensure_ascii=True).encode() + b"\n\n"


class ServerThread:
    """A :class:`RemoteServer` in an asyncio loop of its own thread, for a front end whose
    loop is not asyncio (``--plain``). ``submit`` is then called in that thread: hand the
    command to the session's own thread (see :class:`Inbox`)."""

    def __init__(self, server: RemoteServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="backtimer-remote", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.start())
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()

    def start(self) -> None:
        """Start listening; raises the server's OSError (a port in use) here."""
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            self.loop.close()
            raise self._error

    def stop(self, timeout: float = 5.0) -> None:
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop)
        with contextlib.suppress(Exception):
            future.result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()


class Inbox:
    """Commands from the server's thread for the session's thread, with a pipe whose read
    end a select() can wait on (plain mode waits on its input and this together)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RemoteCommand] = []
        self._read, self._write = _pipe()

    def fileno(self) -> int:
        return self._read

    def put(self, command: RemoteCommand) -> None:
        with self._lock:
            self._items.append(command)
        with contextlib.suppress(OSError):
            os.write(self._write, b"!")

    def take(self) -> list[RemoteCommand]:
        """Every command waiting, oldest first (and the pipe emptied)."""
        with contextlib.suppress(OSError):
            os.read(self._read, 4096)
        with self._lock:
            items, self._items = self._items, []
        return items

    def close(self) -> None:
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)


def _pipe() -> tuple[int, int]:
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    return read, write
