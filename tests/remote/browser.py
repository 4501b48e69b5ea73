"""Headless Chromium from the distribution's packages, driven by its own chromedriver
through selenium, at a phone's size. Used by the browser test and by the README's
screenshot (``python tests/remote/browser.py OUT.png``)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

PHONE = (390, 844)  # CSS pixels, portrait
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def found() -> tuple[str, str] | None:
    """The browser and its driver, where they are installed."""
    browser = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    driver = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def phone_browser() -> Iterator[webdriver.Chrome]:
    where = found()
    if where is None:
        raise RuntimeError(
            "the remote's browser test needs chromium and chromedriver "
            "(Debian: apt-get install chromium chromium-driver)"
        )
    browser, driver = where
    with tempfile.TemporaryDirectory(prefix="backtimer-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--window-size={PHONE[0]},{PHONE[1]}")
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 2.0}},
        )
        chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
        try:
            chrome.set_page_load_timeout(30)
            yield chrome
        finally:
            chrome.quit()


if __name__ == "__main__":  # pragma: no cover - the README's screenshot
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from remote_helpers import PlainRun, write_routine

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/remote.png").resolve()
    with tempfile.TemporaryDirectory() as folder:
        text = (Path(__file__).parent / "screenshot.toml").read_text(encoding="utf-8")
        routine = write_routine(Path(folder), text)
        run = PlainRun(routine, Path(folder) / "data")
        try:
            run.wait_for(lambda s: s.get("state") == "running")
            run.command("skip_step")
            run.wait_for(lambda s: s.get("phase") == "hold")
            with phone_browser() as chrome:
                chrome.get(run.url)
                time.sleep(2.5)
                chrome.save_screenshot(str(out))
        finally:
            run.stop()
    print(out)
