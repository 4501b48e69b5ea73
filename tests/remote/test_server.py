"""The remote's server over real HTTP on loopback: the secret, the page, the feed, commands."""

from __future__ import annotations

import asyncio
import json

from remote_helpers import get, post

from backtimer.remote.server import RemoteServer, new_secret
from backtimer.remote.state import RemoteCommand, parse_command


async def started(received: list[RemoteCommand]) -> RemoteServer:
    server = RemoteServer(received.append)
    await server.start()
    return server


def in_thread(function, *args):
    return asyncio.to_thread(function, *args)


async def test_every_address_without_the_secret_is_refused() -> None:
    received: list[RemoteCommand] = []
    server = await started(received)
    try:
        base = f"http://127.0.0.1:{server.port}/"
        wrong = new_secret()
        assert len(server.secret) >= 40 and wrong != server.secret
        for path in (
            "",
            "index.html",
            "favicon.ico",
            f"{wrong}/",
            f"{wrong}/events",
            f"{wrong}/state",
            f"{server.secret[:-1]}/",  # one character short
            f"{server.secret}x/",  # one character more
            f"x{server.secret}/remote.js",
        ):
            status, body, _ = await in_thread(get, base + path)
            assert status == 403, path
            assert server.secret.encode() not in body
        status, _ = await in_thread(post, f"{base}{wrong}/command", {"command": "pain"})
        assert status == 403
        status, _ = await in_thread(post, f"{base}command", {"command": "pain"})
        assert status == 403
        assert received == []  # nothing reached the session
    finally:
        await server.stop()


async def test_the_secret_opens_the_page_and_takes_commands() -> None:
    received: list[RemoteCommand] = []
    server = await started(received)
    try:
        assert server.url == f"http://127.0.0.1:{server.port}/{server.secret}/"
        status, body, headers = await in_thread(get, server.url)
        assert status == 200
        assert b"PAIN STOP" in body
        assert headers["Content-Type"].startswith("text/html")
        assert headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert b"<script>" not in body.replace(b'<script src="remote.js" defer></script>', b"")
        for name, kind in (("remote.js", "text/javascript"), ("remote.css", "text/css")):
            status, _, headers = await in_thread(get, server.url + name)
            assert status == 200 and headers["Content-Type"].startswith(kind)
        assert (await in_thread(get, server.url + "nothing"))[0] == 404

        status, _ = await in_thread(
            post,
            server.url + "command",
            {"command": "pain_end", "where": "back", "how_much": "7", "note": " sharp "},
        )
        assert status == 202
        assert [c.id for c in received] == ["pain_end"]
        assert (received[0].where, received[0].how_much, received[0].note) == (
            "lower back",
            7,
            "sharp",
        )
        for bad in ({"command": "quit_app"}, {"command": "pain_end", "how_much": 11}, [1]):
            status, answer = await in_thread(post, server.url + "command", bad)
            assert status == 400, bad
            assert "error" in json.loads(answer)
        assert len(received) == 1
    finally:
        await server.stop()


async def test_the_feed_sends_every_snapshot_and_the_latest_first() -> None:
    server = await started([])
    try:
        server.publish({"state": "running", "exercise": "one"})
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(f"GET /{server.secret}/events HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        await writer.drain()

        async def next_data() -> dict:
            while True:
                line = await asyncio.wait_for(reader.readline(), 5)
                if line.startswith(b"data: "):
                    return json.loads(line[6:])

        assert (await next_data())["exercise"] == "one"
        server.publish({"state": "paused", "exercise": "two"})
        assert (await next_data()) == {"state": "paused", "exercise": "two"}
        writer.close()  # a page that goes away changes nothing
        server.publish({"state": "running", "exercise": "three"})
        await asyncio.sleep(0.05)
        assert (await in_thread(get, server.url + "state"))[1] == json.dumps(
            {"state": "running", "exercise": "three"}
        ).encode()
    finally:
        await server.stop()


def test_commands_are_the_command_tables_entries() -> None:
    parsed = parse_command({"command": "pause"})
    assert isinstance(parsed, RemoteCommand)
    assert parsed.key.keys == "space" and parsed.key.plain == "pause"
    mistake = parse_command({"command": "pain_mistake", "where": "hip"})
    assert isinstance(mistake, RemoteCommand) and mistake.key.plain == "mistake"
    assert parse_command({"command": "interrupt"}) == "unknown command"
    assert parse_command({"command": "pain_end", "where": "elbow"}).startswith("where")
    long_note = parse_command({"command": "pain_end", "note": "x" * 2000})
    assert isinstance(long_note, RemoteCommand) and len(long_note.note or "") == 500
