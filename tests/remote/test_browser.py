"""A real browser on the page: headless Chromium (the distribution's package, driven by its
own chromedriver) at a phone's size follows a ``--plain --remote`` session, shows the
routine's text literally, and its STOP button stops the session."""

from __future__ import annotations

from pathlib import Path

from browser import PHONE, phone_browser
from remote_helpers import PlainRun, history, write_routine
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from backtimer.remote.server import RemoteServer, ServerThread

NAME = r"<script>alert(1)</script> & [bold]knee[/bold] \x1b"

WAKE_COUNTER = """
window.wakeRequests = 0;
if (navigator.wakeLock) {
  const request = navigator.wakeLock.request.bind(navigator.wakeLock);
  navigator.wakeLock.request = (kind) => { window.wakeRequests += 1; return request(kind); };
}
"""


def test_a_phone_sized_browser_follows_the_session_and_stops_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = PlainRun(write_routine(tmp_path), data)
    try:
        run.wait_for(lambda s: s.get("state") == "running")
        with phone_browser() as chrome:
            # Count the page's wake lock requests (a script the browser adds, not the page).
            chrome.execute_cdp_cmd(
                "Page.addScriptToEvaluateOnNewDocument",
                {"source": WAKE_COUNTER},
            )
            chrome.get(run.url)
            wait = WebDriverWait(chrome, 20)
            wait.until(lambda c: c.find_element(By.ID, "link").text == "connected")
            assert chrome.execute_script("return window.innerWidth") == PHONE[0]
            # The routine's text, literally: no element made of it, no script run.
            wait.until(lambda c: c.find_element(By.ID, "exercise").text == NAME)
            assert chrome.find_element(By.ID, "routine").text == "Floor <b>test</b>"
            assert not chrome.find_elements(By.CSS_SELECTOR, "#exercise *, #routine *")
            assert chrome.execute_script("return document.querySelectorAll('script').length") == 1
            assert chrome.find_element(By.ID, "phase").text == "GET READY"
            # The screen stays on: 127.0.0.1 is a secure context, where the Wake Lock API is.
            assert chrome.execute_script("return 'wakeLock' in navigator")
            assert chrome.find_element(By.ID, "awake").text == ""
            assert chrome.execute_script("return window.wakeRequests") >= 1
            clock = chrome.find_element(By.ID, "clock").text
            assert clock.isdigit() and 0 < int(clock) <= 30

            stop = chrome.find_element(By.ID, "stop")
            assert stop.text == "PAIN STOP"
            # The biggest button, first of them, all of it on the screen.
            buttons = [b for b in chrome.find_elements(By.TAG_NAME, "button") if b.is_displayed()]
            assert buttons[0] == stop
            assert all(stop.size["height"] > b.size["height"] for b in buttons[1:])
            assert stop.location["y"] + stop.size["height"] <= PHONE[1]
            stop.click()

            run.wait_for(lambda s: s["state"] == "pain_stopped")
            wait.until(lambda c: c.find_element(By.ID, "pain").is_displayed())
            assert chrome.find_element(By.ID, "phase").text == "STOPPED"
            assert "seek advice" in chrome.find_element(By.ID, "pain-message").text
            assert chrome.find_element(By.ID, "pain-stop-if").text == "Stop if: pain down the leg"
            chrome.find_element(By.XPATH, "//div[@id='places']/button[.='hip']").click()
            chrome.find_element(By.XPATH, "//div[@id='amounts']/button[.='4']").click()
            chrome.find_element(By.ID, "note").send_keys("after <the> second rep")
            chrome.find_element(By.CSS_SELECTOR, "#pain button[data-command='pain_end']").click()
            assert run.finish() == 0
            wait.until(lambda c: "ended" in c.find_element(By.ID, "message").text)
            # Ended early, not "DONE" with a big 0 as if it had been completed.
            assert chrome.find_element(By.ID, "phase").text == "ENDED EARLY"
            assert not chrome.find_element(By.ID, "clock").is_displayed()
    finally:
        run.stop()
    [session] = history(data)
    [pain] = session["pain_events"]
    assert (pain["where"], pain["severity"], pain["note"]) == ("hip", 4, "after <the> second rep")


def test_the_page_reconnects_by_itself(tmp_path: Path) -> None:
    server = RemoteServer(lambda command: None)
    thread = ServerThread(server)
    thread.start()
    base = {
        "routine": "Reconnecting",
        "state": "running",
        "phase": "hold",
        "phase_word": "HOLD",
        "exercise": "Before",
        "remaining": 40.0,
        "pain": None,
        "places": [],
    }
    try:
        server.publish_threadsafe(base)
        with phone_browser() as chrome:
            chrome.get(server.url)
            wait = WebDriverWait(chrome, 20)
            wait.until(lambda c: c.find_element(By.ID, "exercise").text == "Before")
            assert server.connections == 1
            # The stream breaks (a phone's network drops): the page connects again.
            thread.loop.call_soon_threadsafe(server.end_streams)
            wait.until(lambda c: server.connections == 2)
            server.publish_threadsafe({**base, "exercise": "After"})
            wait.until(lambda c: c.find_element(By.ID, "exercise").text == "After")
            wait.until(lambda c: c.find_element(By.ID, "link").text == "connected")
    finally:
        thread.stop()


def test_a_stop_before_the_start_shows_the_stop_without_questions() -> None:
    """Before Start, a stop has nothing to answer, skip or resume: the page shows STOPPED,
    the safety message, "Do not start" and "Pressed by mistake"; after it, READY TO START."""
    server = RemoteServer(lambda command: None)
    thread = ServerThread(server)
    thread.start()
    waiting = {
        "routine": "Early",
        "state": "waiting",
        "phase": "get_ready",
        "phase_word": "GET READY",
        "exercise": "Knee to chest",
        "remaining": None,
        "pain": None,
        "places": ["hip"],
    }
    stopped = {
        **waiting,
        "state": "pain_stopped",
        "pain": {
            "message": "Stop. If pain persists, seek advice.",
            "at": "before the session started (nothing is recorded)",
            "stop_if": "",
            "before_start": True,
        },
    }
    try:
        server.publish_threadsafe(stopped)
        with phone_browser() as chrome:
            chrome.get(server.url)
            wait = WebDriverWait(chrome, 20)
            wait.until(lambda c: c.find_element(By.ID, "pain").is_displayed())
            assert chrome.find_element(By.ID, "phase").text == "STOPPED"
            assert "seek advice" in chrome.find_element(By.ID, "pain-message").text
            assert not chrome.find_element(By.ID, "pain-questions").is_displayed()
            assert not chrome.find_element(By.ID, "pain-go-on").is_displayed()
            assert chrome.find_element(By.ID, "pain-end").text == "Do not start"
            mistake = "#pain button[data-command='pain_mistake']"
            assert chrome.find_element(By.CSS_SELECTOR, mistake).is_displayed()
            assert not chrome.find_element(By.ID, "start").is_displayed()
            server.publish_threadsafe(waiting)
            wait.until(lambda c: c.find_element(By.ID, "phase").text == "READY TO START")
            assert not chrome.find_element(By.ID, "pain").is_displayed()
            assert chrome.find_element(By.ID, "start").is_displayed()
    finally:
        thread.stop()
