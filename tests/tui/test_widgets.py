"""Small widgets: a checkbox that reads without colour."""

from __future__ import annotations

from snapshot_apps.common import screen_text
from textual.app import App, ComposeResult

from backtimer.tui.widgets.tickbox import TickBox


class Boxes(App[None]):
    def compose(self) -> ComposeResult:
        yield TickBox("copy it", value=False, id="off", compact=True)
        yield TickBox("keep it", value=True, id="on", compact=True)


async def test_an_unticked_box_has_no_mark() -> None:
    app = Boxes()
    async with app.run_test(size=(30, 4)) as pilot:
        await pilot.pause()
        text = screen_text(app)  # type: ignore[arg-type]
        assert "▐ ▌ copy it" in text and "▐X▌ keep it" in text
        await pilot.click("#off")
        await pilot.pause()
        assert "▐X▌ copy it" in screen_text(app)  # type: ignore[arg-type]
