"""A real browser on the page: headless Chromium (the distribution's package, driven by its
own chromedriver) at a phone's size follows a ``--plain --remote`` session, shows the
routine's text literally, and its STOP button stops the session."""

from __future__ import annotations

from pathlib import Path

from browser import PHONE, phone_browser
from remote_helpers import PlainRun, history, write_routine
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

NAME = r"<script>alert(1)</script> & [bold]knee[/bold] \x1b"


def test_a_phone_sized_browser_follows_the_session_and_stops_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = PlainRun(write_routine(tmp_path), data)
    try:
        run.wait_for(lambda s: s.get("state") == "running")
        with phone_browser() as chrome:
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
    finally:
        run.stop()
    [session] = history(data)
    [pain] = session["pain_events"]
    assert (pain["where"], pain["severity"], pain["note"]) == ("hip", 4, "after <the> second rep")
