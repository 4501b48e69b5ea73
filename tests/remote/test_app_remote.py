"""The full-screen app with the remote: its server runs in the app's own loop, the address
comes first, and the page's commands run what the keys run on the app's screens."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from remote_helpers import SLOW_TOML, get, post
from snapshot_apps.common import FakeClock, build_app, screen_text, until, write_routine

from backtimer.core.engine import Event, PainStopped, Session
from backtimer.remote.options import RemoteOptions
from backtimer.session.safety import SAFETY_MESSAGE, PainDetails
from backtimer.tui.app import BacktimerApp
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.help import HelpScreen
from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.remote import RemoteScreen
from backtimer.tui.screens.session import SessionScreen


class Heard:
    def __init__(self) -> None:
        self.details: list[PainDetails] = []
        self.events: list[Event] = []

    def on_events(self, events: Sequence[Event], session: Session) -> None:
        self.events.extend(events)

    def on_pain_details(self, details: PainDetails, session: Session) -> None:
        self.details.append(details)


async def address_shown(pilot: Any, app: Any, url: str) -> None:
    """Wait until the address screen shows ``url`` in its words (laid out: on a loaded
    machine that may take a few frames after the screen is pushed or changed)."""
    await until(pilot, lambda: url in region_text(app, "#remote-words"), "the address shown")


def region_text(app: Any, selector: str) -> str:
    """The text a widget shows on the screen (the cells of its region), its lines joined:
    an address wrapped over several lines reads as one."""
    region = app.screen.query_one(selector).region
    lines = screen_text(app).splitlines()[region.y : region.y + region.height]
    return "".join(line[region.x : region.x + region.width].strip() for line in lines)


async def send(url: str, command: str, **fields: Any) -> int:
    status, _ = await asyncio.to_thread(post, url + "command", {"command": command, **fields})
    return status


async def state(url: str) -> dict[str, Any]:
    status, body, _ = await asyncio.to_thread(get, url + "state")
    assert status == 200
    return json.loads(body)


def remote_app(tmp_path: Path, **options: Any) -> BacktimerApp:
    """The app on a slow routine with the phone remote (a fake clock unless ``options``
    give one; ``build_app``'s options)."""
    options.setdefault("clock", FakeClock())
    return build_app(write_routine(tmp_path, SLOW_TOML), remote=RemoteOptions(), **options)


async def address(pilot: Any, app: Any) -> Any:
    """Wait for the address screen: the app's one remote."""
    await until(pilot, lambda: isinstance(app.screen, RemoteScreen), "the address")
    [remote] = app.remotes
    return remote


async def send_then(
    pilot: Any, app: Any, url: str, command: str, screen: type, what: str, **fields: Any
) -> None:
    """Send ``command`` from the page (taken: 202), then wait for ``screen`` on top."""
    assert await send(url, command, **fields) == 202
    await until(pilot, lambda: isinstance(app.screen, screen), what)


async def test_the_page_starts_pauses_and_pain_stops_an_app_session(tmp_path: Path) -> None:
    heard = Heard()
    clock = FakeClock()
    app = remote_app(tmp_path, clock=clock, listeners=[heard])
    async with app.run_test(size=(80, 30)) as pilot:
        remote = await address(pilot, app)
        url = remote.server.url
        assert url.startswith("http://127.0.0.1:")
        await address_shown(pilot, app, url)
        shown = screen_text(app)
        assert "▀" in shown or "▄" in shown  # the QR code, in block characters
        assert (await state(url))["state"] == "waiting"
        assert not heard.events  # nothing starts before Start

        assert await send(url, "remote_start") == 202
        started = lambda: isinstance(app.screen, SessionScreen) and bool(heard.events)  # noqa: E731
        await until(pilot, started, "the session")
        assert (await state(url))["state"] == "running"

        assert await send(url, "pause") == 202
        await until(pilot, lambda: app.session_screen.session.state == "paused", "a pause")
        assert (await state(url))["state"] == "paused"
        assert await send(url, "pause") == 202
        await until(pilot, lambda: app.session_screen.session.state == "running", "resumed")

        await send_then(pilot, app, url, "pain", PainScreen, "the pain screen")
        page = await state(url)
        assert page["state"] == "pain_stopped"
        assert page["pain"]["stop_if"] == "pain down the leg"
        await send_then(pilot, app, url, "pain_mistake", SessionScreen, "back to the step")
        assert heard.details == []  # by mistake: no pain reported

        await send_then(pilot, app, url, "pain", PainScreen, "the pain screen")
        assert await send(url, "pain_end", where="hip", how_much=3, note="a twinge") == 202
        await until(pilot, lambda: app.session_screen is None, "the summary")
        [details] = heard.details
        assert (details.choice, details.where, details.how_much, details.note) == (
            "end",
            "hip",
            3,
            "a twinge",
        )
        await until(pilot, lambda: remote.server._runner is None, "the server stopped")
    assert remote.server._runner is None


async def test_l_on_the_address_lets_the_network_in_with_a_new_secret(tmp_path: Path) -> None:
    app = remote_app(tmp_path)
    async with app.run_test(size=(80, 30)) as pilot:
        remote = await address(pilot, app)
        local = remote.server.url
        assert remote.server.bind_host == "127.0.0.1"
        await pilot.press("l")
        await until(pilot, lambda: remote.server.lan, "the network")
        server = remote.server
        assert server.bind_host == "0.0.0.0" and server.url != local
        await address_shown(pilot, app, server.url)
        assert "same network" in screen_text(app)
        # Asked only over loopback here: the new secret opens it, the old one does not.
        here = f"http://127.0.0.1:{server.port}/"
        assert (await asyncio.to_thread(get, here + server.secret + "/"))[0] == 200
        old_secret = local.rstrip("/").rsplit("/", 1)[1]
        assert (await asyncio.to_thread(get, here + old_secret + "/"))[0] == 403
        assert (await state(here + server.secret + "/"))["state"] == "waiting"
        await pilot.press("l")  # once on the network, l does nothing more
        assert remote.server is server
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SessionScreen), "the session")


async def started_session(pilot: Any, app: Any) -> str:
    """The address, Start from the page, the session running: the page's URL."""
    remote = await address(pilot, app)
    url = remote.server.url
    await send_then(pilot, app, url, "remote_start", SessionScreen, "the session")
    return url


async def settled(pilot: Any, url: str, app: Any) -> None:
    """A command sent and ignored leaves nothing to wait for: a state read from the page
    and a few frames later, whatever it would have done is done."""
    await state(url)
    for _ in range(5):
        await pilot.pause(0.02)


async def test_pause_from_the_page_over_the_quit_question_does_what_space_does(
    tmp_path: Path,
) -> None:
    # The quit question has paused the clock; space on the question is no key of its own,
    # so a Pause tapped on the phone must not resume the session behind it.
    app = remote_app(tmp_path)
    async with app.run_test(size=(80, 30)) as pilot:
        url = await started_session(pilot, app)
        session = app.session_screen
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question")
        assert session.session.state == "paused"
        assert await send(url, "pause") == 202
        assert await send(url, "skip_step") == 202
        index = session.session.index
        await settled(pilot, url, app)
        assert isinstance(app.screen, ConfirmScreen)
        assert session.session.state == "paused"
        assert session.session.index == index
        assert (await state(url))["state"] == "paused"
        await pilot.press("n")  # keep going: the question's own pause ends
        await until(pilot, lambda: session.session.state == "running", "going on")
        assert await send(url, "pause") == 202  # on the session itself, space again
        await until(pilot, lambda: session.session.state == "paused", "a pause")


async def test_pain_from_the_page_over_the_quit_question_stops_as_x_does(tmp_path: Path) -> None:
    heard = Heard()
    app = remote_app(tmp_path, listeners=[heard])
    async with app.run_test(size=(80, 30)) as pilot:
        url = await started_session(pilot, app)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit question")
        await send_then(pilot, app, url, "pain", PainScreen, "the pain screen")
        assert not any(isinstance(s, ConfirmScreen) for s in app.screen_stack)
        assert app.session_screen.session.state == "pain_stopped"
        assert (await state(url))["state"] == "pain_stopped"
        assert await send(url, "pain_end", where="hip", how_much=4) == 202
        await until(pilot, lambda: app.session_screen is None, "the summary")
        [details] = heard.details
        assert (details.choice, details.where, details.how_much) == ("end", "hip", 4)


async def test_pain_from_the_page_over_the_help_stops_as_x_does(tmp_path: Path) -> None:
    app = remote_app(tmp_path)
    async with app.run_test(size=(80, 30)) as pilot:
        url = await started_session(pilot, app)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        assert await send(url, "pause") == 202  # no key of the help: nothing happens
        await settled(pilot, url, app)
        assert isinstance(app.screen, HelpScreen)
        await send_then(pilot, app, url, "pain", PainScreen, "the pain screen")
        assert not any(isinstance(s, HelpScreen) for s in app.screen_stack)
        assert app.session_screen.session.state == "pain_stopped"
        await send_then(pilot, app, url, "pain_resume", SessionScreen, "back to the step")


async def test_pain_from_the_page_with_the_pain_screen_open_opens_no_second_one(
    tmp_path: Path,
) -> None:
    heard = Heard()
    app = remote_app(tmp_path, listeners=[heard])
    async with app.run_test(size=(80, 30)) as pilot:
        url = await started_session(pilot, app)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, PainScreen), "the pain screen")
        stops = sum(isinstance(e, PainStopped) for e in heard.events)
        assert await send(url, "pain") == 202
        await settled(pilot, url, app)
        assert sum(isinstance(s, PainScreen) for s in app.screen_stack) == 1
        assert sum(isinstance(e, PainStopped) for e in heard.events) == stops
        await send_then(pilot, app, url, "pain_mistake", SessionScreen, "back to the step")


async def test_pain_from_the_page_on_the_address_screen_shows_what_x_shows(
    tmp_path: Path,
) -> None:
    heard = Heard()
    app = remote_app(tmp_path, listeners=[heard])
    async with app.run_test(size=(80, 30)) as pilot:
        remote = await address(pilot, app)
        assert await send(remote.server.url, "pain") == 202
        await until(pilot, lambda: isinstance(app.screen, PainScreen), "the safety message")
        assert app.screen.event is None and not heard.events  # nothing had started


async def test_the_address_screen_fits_the_code_and_the_address_at_80x24(tmp_path: Path) -> None:
    app = remote_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        remote = await address(pilot, app)
        screen = app.screen
        await until(pilot, lambda: screen.has_class("-qr-side"), "the words beside the code")
        await address_shown(pilot, app, remote.server.url)
        qr = screen.query_one("#remote-qr").region
        assert qr.height == len(screen.qr) and qr.bottom <= 23  # whole, above the footer
        lines = screen_text(app).splitlines()
        assert [line[qr.x : qr.right] for line in lines[qr.y : qr.bottom]] == screen.qr
        words = region_text(app, "#remote-words")
        assert remote.server.url in words and "press l" in words
        assert screen.query_one("#remote-words").region.bottom <= 23
        assert not screen.query_one("#remote-small").display


async def test_a_window_too_small_for_the_code_says_so_and_shows_the_address(
    tmp_path: Path,
) -> None:
    app = remote_app(tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        remote = await address(pilot, app)
        screen = app.screen
        await until(pilot, lambda: screen.has_class("-qr-none"), "no code")
        await address_shown(pilot, app, remote.server.url)
        assert not screen.query_one("#remote-qr").display
        assert "▀" not in screen_text(app) and "▄" not in screen_text(app)
        small = region_text(app, "#remote-small")
        need = f"{len(screen.qr[0]) + 2}×{len(screen.qr) + 3}"  # 43×24 for this address
        assert "too small for the QR code" in small and need in small
        await pilot.resize_terminal(60, 30)  # taller: the code comes, the words under it
        await until(pilot, lambda: screen.has_class("-qr-stacked"), "the code")
        assert screen.query_one("#remote-qr").display
        assert not screen.query_one("#remote-small").display


async def page_state(pilot: Any, url: str, wanted: str) -> dict[str, Any]:
    """The page's state once it is ``wanted`` (the view publishes a frame or two later)."""
    for _ in range(500):
        page = await state(url)
        if page["state"] == wanted:
            return page
        await pilot.pause(0.02)
    raise AssertionError(f"the page never said {wanted!r}: {page['state']!r}")


async def test_stop_before_start_shows_the_stop_on_the_page(tmp_path: Path) -> None:
    """STOP on the phone (or x on the computer) before Start: the computer shows the safety
    message, and the page shows the stop too, not READY TO START with a Start that does
    nothing. "By mistake" (or closing it on the computer) goes back to ready; End then
    means: do not start."""
    heard = Heard()
    app = remote_app(tmp_path, listeners=[heard])
    async with app.run_test(size=(80, 30)) as pilot:
        remote = await address(pilot, app)
        url = remote.server.url
        await address_shown(pilot, app, url)

        await send_then(pilot, app, url, "pain", PainScreen, "the safety message")
        page = await page_state(pilot, url, "pain_stopped")
        assert page["pain"]["message"] == SAFETY_MESSAGE
        assert page["pain"]["before_start"] is True
        assert await send(url, "remote_start") == 202  # under the stop, Start starts nothing
        await settled(pilot, url, app)
        assert isinstance(app.screen, PainScreen) and not heard.events

        await send_then(pilot, app, url, "pain_mistake", RemoteScreen, "back to the address")
        await page_state(pilot, url, "waiting")

        await pilot.press("x")  # the computer's own pain key: the page shows it as well
        await until(pilot, lambda: isinstance(app.screen, PainScreen), "the safety message")
        await page_state(pilot, url, "pain_stopped")
        await pilot.press("enter")  # Close
        await until(pilot, lambda: isinstance(app.screen, RemoteScreen), "back to the address")
        await page_state(pilot, url, "waiting")

        assert await send(url, "pain") == 202
        await page_state(pilot, url, "pain_stopped")
        assert await send(url, "pain_end") == 202  # end: the session is not started
        await until(pilot, lambda: not app.is_running, "the app closed, nothing started")
    assert not heard.events
