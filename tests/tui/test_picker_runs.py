"""The picker at 80 columns keeps every space between its runs of text.

A run of text that begins with a space after another run on its line ("broken" then
"  INVALID", a title then " (publisher)") is drawn without that space when the screen's SVG
is turned into a picture by rsvg-convert (it drops a run's leading spaces): "Back
Pain(Unnamed", "brokenINVALID". The picker's texts end a run with its space instead.
"""

from __future__ import annotations

import re

import pytest
from snapshot_apps.common import build_app, snapshot_entries, until
from textual.widgets import OptionList

from backtimer.files import catalog

SIZE = (80, 24)
KEY_BAR_LINE = SIZE[1] - 1  # the key bar (a widget of every screen) is not the picker's


def runs_starting_with_a_space(svg: str) -> list[str]:
    """Runs of text (not the key bar's) that begin with a space and go on with a character."""
    found = []
    for line, text in re.findall(r'clip-path="url\(#terminal-\d+-line-(\d+)\)">([^<]*)<', svg):
        if int(line) != KEY_BAR_LINE and re.match(r"(&#160;| )+[^&\s]", text):
            found.append(text.replace("&#160;", " "))
    return found


async def picker_svgs(entries) -> list[str]:
    app = build_app(None, entries=entries)
    svgs = []
    async with app.run_test(size=SIZE) as pilot:
        listing = app.screen.query_one(OptionList)
        await until(pilot, lambda: listing.option_count > 0, "the routines listed")
        for index in range(listing.option_count):
            listing.highlighted = index
            await pilot.pause()
            svgs.append(app.export_screenshot())
    return svgs


@pytest.mark.parametrize("which", ["bundled", "snapshot"])
async def test_no_run_of_the_picker_begins_with_a_space(which: str) -> None:
    entries = catalog.bundled if which == "bundled" else snapshot_entries
    svgs = await picker_svgs(entries)
    assert svgs
    for svg in svgs:
        assert runs_starting_with_a_space(svg) == []
    joined = "".join(svgs)
    if which == "bundled":
        # The sutter routines' source, wrapped at 80 columns: the space is in the run.
        assert "Back&#160;Pain&#160;(Unnamed" in joined
    else:
        assert re.search(r">broken(&#160;)*<", joined) and ">INVALID<" in joined
