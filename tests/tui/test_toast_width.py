"""A notification is shown whole at every terminal width: its box is never wider than the
room Textual's toast rack gives it (the rack keeps a scrollbar's columns on its right, and
what is under them is cut off)."""

from __future__ import annotations

import pytest
from snapshot_apps.common import build_app, screen_text, until
from textual.widgets._toast import Toast

LINE = "(the previous version is kept in /tmp/w6/short2.toml.bak)"


@pytest.mark.parametrize("width", [40, 60, 62, 80, 120])
async def test_a_long_notification_is_shown_whole_at_every_width(width: int) -> None:
    app = build_app(None, entries=lambda: [])
    async with app.run_test(size=(width, 20), notifications=True) as pilot:
        app.notify(f"saved /tmp/w6/short2.toml\n{LINE}")
        await until(pilot, lambda: bool(app.screen.query(Toast)), "the toast")
        await pilot.pause()
        (toast,) = app.screen.query(Toast)
        assert toast.region.right <= width - 2, (toast.region, width)
        # Every word of it is on the screen (wrapped as the width needs).
        text = " ".join(screen_text(app).split())
        assert "short2.toml.bak)" in text.replace("▌", "").replace("  ", " "), text
