"""Small widgets: a checkbox that reads without colour; big text and the meter drawn line by
line, repainting only what changes."""

from __future__ import annotations

from snapshot_apps.common import screen_text
from textual.app import App, ComposeResult
from textual.geometry import Region

from backtimer.tui.widgets.bigtext import BigText, changed_columns, draw, rows_at
from backtimer.tui.widgets.meter import Meter
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


class Big(App[None]):
    def compose(self) -> ComposeResult:
        yield BigText("29:53", largest=2, id="big")
        yield Meter("29:53 left", id="meter")


def _repaints(widget: BigText | Meter) -> list[Region | None]:
    """Records each refresh of ``widget``: the region asked for (None: all of it)."""
    calls: list[Region | None] = []
    refresh = widget.refresh

    def counting(*regions: Region, **kwargs: object) -> object:
        calls.extend(regions or [None])
        return refresh(*regions, **kwargs)  # type: ignore[arg-type]

    widget.refresh = counting  # type: ignore[method-assign]
    return calls


def test_changed_columns_are_those_that_differ() -> None:
    before, after = draw("29:53", 1), draw("29:52", 1)
    start, end = changed_columns(before, after)  # type: ignore[misc]
    assert before[0][:start] == after[0][:start] and 0 < start < end <= len(after[0])
    assert all(a[end:] == b[end:] for a, b in zip(before, after, strict=True))
    assert changed_columns(before, before) == (0, 0)
    assert changed_columns(None, after) is None  # plain text: all of it
    assert changed_columns(draw("9", 1), after) is None  # another size


async def test_a_countdown_repaints_only_the_digit_that_changes() -> None:
    app = Big()
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        big = app.query_one("#big", BigText)
        assert big.scale == 2
        calls = _repaints(big)
        before = big.drawn(big.size.width)
        big.update("29:52")
        after = big.drawn(big.size.width)
        assert before is not None and after is not None
        assert len(calls) == 1 and calls[0] is not None
        # The last digit only: 3 pixels wide at scale 2, within the text's own columns,
        # and only in the rows where a 3 and a 2 differ (of rows_at(2) rows).
        region = calls[0]
        assert region.width <= 3 * 2 and region.bottom <= rows_at(2)
        differ = [y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert list(range(region.y, region.bottom)) == differ and len(differ) < rows_at(2)
        for a, b in zip(before, after, strict=True):
            outside = [x for x in range(len(a)) if not region.x <= x < region.right]
            assert all(a[x] == b[x] for x in outside)
        big.update("29:52")  # the same: nothing to repaint
        assert len(calls) == 1
        await pilot.pause()
        text = screen_text(app)  # type: ignore[arg-type]
        rows = draw("29:52", 2)
        assert all(row in text for row in rows)


async def test_the_meter_is_drawn_in_one_line_with_its_label() -> None:
    app = Big()
    async with app.run_test(size=(40, 12)) as pilot:
        meter = app.query_one("#meter", Meter)
        meter.update(0.5)
        await pilot.pause()
        line = next(line for line in screen_text(app).splitlines() if "left" in line)  # type: ignore[arg-type]
        assert line.rstrip().endswith("━" * 14 + "─" * 15 + " 29:53 left")
        painted = meter.paints
        calls = _repaints(meter)
        meter.update(0.5, "29:52 left")
        # A label as long as before: only its columns are repainted, not the bar.
        assert calls == [Region(29, 0, 11, 1)]
        await pilot.pause()
        assert meter.paints == painted + 1 and "29:52 left" in screen_text(app)  # type: ignore[arg-type]
        meter.update(0.5, "9:52 left")  # shorter: the bar grows, all of it is repainted
        await pilot.pause()
        assert "━" * 15 + "─" * 15 + " 9:52 left" in screen_text(app)  # type: ignore[arg-type]
