"""The level offer before a session: step-ups to accept or decline, step-downs to read."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from snapshot_apps.common import screen_text
from textual.app import App
from textual.widgets import Button, OptionList, Static

from backtimer.core.routine import LevelChoice
from backtimer.history.levels import LevelChange
from backtimer.tui.screens.help import key_text, sections
from backtimer.tui.screens.levels import LevelOfferScreen, OfferList

KNEE_UP = LevelChange(
    0,
    "Knee to chest",
    "up",
    LevelChoice(hold=10),
    LevelChoice(hold=15),
    "hold 10s -> 15s",
    "after 3 sessions in a row without pain",
)
TILT_UP = LevelChange(
    2,
    "Pelvic [bold]tilt[/bold]",
    "up",
    LevelChoice(reps=2),
    LevelChoice(reps=3),
    "2 reps -> 3 reps",
    "after 4 sessions in a row without pain",
)
BRIDGES_DOWN = LevelChange(
    1,
    "Bridges",
    "down",
    LevelChoice(reps=12),
    LevelChoice(reps=11),
    "12 reps -> 11 reps",
    "after a pain stop in the last session",
)


def ticked(app: App) -> list[bool]:
    """Each step-up's tick, in the order offered."""
    return list(app.screen.query_one("#levels-ups", OfferList).ticked)


def hold_ups(count: int, why: str = "after 3 sessions in a row without pain") -> list[LevelChange]:
    """``count`` step-ups, "Exercise 1" on: each "hold 10s -> 15s"."""
    return [
        LevelChange(
            i,
            f"Exercise {i + 1}",
            "up",
            LevelChoice(hold=10),
            LevelChoice(hold=15),
            "hold 10s -> 15s",
            why,
        )
        for i in range(count)
    ]


class Host(App[None]):
    def __init__(self, changes: list[LevelChange]) -> None:
        super().__init__()
        self.changes = changes
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(LevelOfferScreen(self.changes), self.results.append)


async def test_step_ups_are_accepted_by_default() -> None:
    app = Host([KNEE_UP, BRIDGES_DOWN, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Knee to chest: hold 10s -> 15s" in text
        assert "after 3 sessions in a row without pain" in text
        assert "Pelvic [bold]tilt[/bold]: 2 reps -> 3 reps" in text  # literally
        assert "Stepped down" in text
        assert "Bridges: 12 reps -> 11 reps, after a pain stop in the last session" in text
        assert ticked(app) == [True, True]
        await pilot.press("s")
        await pilot.pause()
    assert app.results == [[KNEE_UP, TILT_UP]]  # the step-down is not the user's choice


async def test_a_step_up_can_be_declined() -> None:
    app = Host([KNEE_UP, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#levels-ups", offset=(2, 0))  # the first offer's line
        await pilot.pause()
        assert ticked(app) == [False, True]
        await pilot.press("s")
        await pilot.pause()
    assert app.results == [[TILT_UP]]


async def test_the_start_button_starts() -> None:
    app = Host([KNEE_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click("#levels-start")
        await pilot.pause()
    assert app.results == [[KNEE_UP]]


async def test_keyboard_only_untick_and_start() -> None:
    """The list has the focus when the offer opens, its first offer highlighted: space
    ticks at once (no tab first), down moves, enter starts (as s)."""
    app = Host([KNEE_UP, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        offers = app.screen.query_one("#levels-ups", OfferList)
        assert app.focused is offers and offers.highlighted == 0
        await pilot.press("space")  # the first offer: unticked
        await pilot.pause()
        assert ticked(app) == [False, True]
        await pilot.press("space", "down", "space")  # ticked again; the second unticked
        await pilot.pause()
        assert ticked(app) == [True, False]
        await pilot.press("enter")  # enter starts, from the list
        await pilot.pause()
    assert app.results == [[KNEE_UP]]


async def test_s_starts_from_the_list_too() -> None:
    app = Host([KNEE_UP, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "space", "s")
        await pilot.pause()
    assert app.results == [[KNEE_UP]]


@pytest.mark.parametrize("how", ["n", "button"])
async def test_no_step_ups_starts_with_none_of_them(how: str) -> None:
    """n (or its button) declines every step-up at once, whatever is ticked; the result is
    an empty list (start, nothing to store), not None (escape: no session)."""
    app = Host([KNEE_UP, BRIDGES_DOWN, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "No step-ups (n)" in text and "n No step-ups" in text  # button and footer
        if how == "n":
            await pilot.press("n")
        else:
            await pilot.click("#levels-decline")
        await pilot.pause()
    assert app.results == [[]]


async def test_escape_on_the_offer_starts_nothing() -> None:
    """Escape closes the offer without a session (None: the app goes back to the routines,
    or quits): not a start, which a second escape would have turned into a pain stop."""
    app = Host([KNEE_UP, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_the_footer_and_help_name_the_offers_keys() -> None:
    app = Host([KNEE_UP, TILT_UP])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "space Tick/untick" in text and "s Start" in text and "n No step-ups" in text
    titles = dict(sections())
    levels = [key_text({}, b) for b in titles["Levels before a session"]]
    assert "s / enter" in levels and "n" in levels
    assert "esc" in [key_text({}, b) for b in titles[next(t for t in titles if "dialog" in t)]]
    assert [key_text({}, b) for b in titles["Levels: the list of step-ups"]] == ["space"]


async def test_only_step_downs_start_with_nothing_to_store() -> None:
    app = Host([BRIDGES_DOWN])
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert not app.screen.query(OfferList)
        assert not app.screen.query(OptionList)
        assert "Bridges: 12 reps -> 11 reps" in screen_text(app)
        assert "No step-ups" not in screen_text(app)  # nothing to decline: no n, no button
        assert isinstance(app.focused, Button) and app.focused.id == "levels-start"
        await pilot.press("enter")  # on the focused Start button
        await pilot.pause()
    assert app.results == [[]]


async def test_two_hundred_offers_are_a_few_widgets() -> None:
    """A 200-exercise routine's offers: one list and one text, not a widget per line."""
    ups = hold_ups(200)
    app = Host([*ups, BRIDGES_DOWN])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert len(screen.query(OfferList)) == 1
        assert not screen.query(OptionList) and not screen.query("Checkbox")
        assert len(screen.query(Static)) < 12
        assert len(list(screen.walk_children())) < 30
        assert ticked(app) == [True] * 200
        await pilot.press("s")
        await pilot.pause()
    assert app.results == [ups]


async def test_the_offer_list_height_follows_its_width_and_ticks() -> None:
    """The list's height (kept per width: Textual asks for it at every layout pass) is its
    lines wrapped at that width (Rich's own wrapping), after a resize that wraps its lines
    and after a tick; every line of it is drawn."""
    long_why = "after 3 sessions in a row without pain, " * 3
    ups = hold_ups(5, why=long_why.strip())
    app = Host(ups)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        offers = app.screen.query_one("#levels-ups", OfferList)

        def fresh(width: int) -> int:
            """Each line wrapped beside the four cells of "[x] " (Rich's own wrapping)."""
            why = long_why.strip()
            lines = [t for i in range(5) for t in (f"Exercise {i + 1}: hold 10s -> 15s", why)]
            return sum(len(Text(line).wrap(app.console, width - 4)) for line in lines)

        wide = offers.get_content_height(offers.size, offers.size, 90)
        narrow = offers.get_content_height(offers.size, offers.size, 40)
        assert wide == fresh(90) and narrow == fresh(40)
        assert narrow > wide  # the long lines wrap at 40 columns
        offers.toggle(0)
        assert offers.get_content_height(offers.size, offers.size, 40) == fresh(40)
        await pilot.resize_terminal(60, 40)
        await pilot.pause()
        assert offers.size.height == fresh(offers.content_size.width)  # 40 rows have room
        drawn = [offers.render_line(y).text for y in range(offers.size.height)]
        assert drawn[0].startswith("[ ] Exercise 1: hold 10s -> 15s")  # unticked
        assert sum(line.strip().startswith("[x]") for line in drawn) == len(ups) - 1
        assert "without pain," in "".join(drawn)
        # Every row but an offer's first is indented under the name, clear of the ticks.
        assert all(line.startswith(("[x] ", "[ ] ", "    ")) for line in drawn)


async def test_the_offer_list_moves_and_scrolls_with_the_keys() -> None:
    """Down, up, end, home and the page keys move the highlight through 200 offers, and the
    list scrolls to keep it in view; space ticks (enter is the screen's: start)."""
    ups = hold_ups(200)
    app = Host(ups)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        offers = app.screen.query_one("#levels-ups", OfferList)
        assert app.focused is offers and offers.highlighted == 0  # focused on open
        await pilot.press("down", "down", "space")
        assert offers.highlighted == 2 and ticked(app)[:3] == [True, True, False]
        await pilot.press("end")
        await pilot.pause()
        assert offers.highlighted == 199
        assert offers.scroll_offset.y == offers.max_scroll_y > 0  # scrolled to the end
        assert "Exercise 199: hold 10s -> 15s" in screen_text(app)
        assert "Exercise 1: hold" not in screen_text(app)
        await pilot.press("home", "pagedown")
        await pilot.pause()
        assert 0 < offers.highlighted < 199
        await pilot.press("pageup", "up")
        assert offers.highlighted == 0
        await pilot.press("s")
        await pilot.pause()
    assert app.results == [[change for i, change in enumerate(ups) if i != 2]]


async def test_the_dialog_fits_the_screen_with_its_heading_and_start_button() -> None:
    """200 step-ups and a step-down on a 80x24 terminal: the list scrolls itself, and the
    heading, the step-down and the Start button stay on the screen (the list had room for
    all 200 and pushed them off it); the last offer is reachable."""
    ups = hold_ups(200)
    app = Host([*ups, BRIDGES_DOWN])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(2):
            text = screen_text(app)
            assert "Ready for a step up?" in text
            assert "Bridges: 12 reps -> 11 reps" in text
            assert "Start (s)" in text
            await pilot.press("end")
            await pilot.pause()
        assert "Exercise 200: hold 10s -> 15s" in screen_text(app)
        await pilot.resize_terminal(80, 40)
        await pilot.pause()
        assert "Ready for a step up?" in screen_text(app) and "Start (s)" in screen_text(app)


LONG_UPS = [
    LevelChange(
        i,
        name,
        "up",
        LevelChoice(hold=10),
        LevelChoice(hold=15),
        "hold 10s -> 15s",
        "after 4 sessions in a row without pain",
    )
    for i, name in enumerate(
        [
            "Knee to chest, lying on your back with a small folded towel under your head",
            "Bridges",
            "Cat-cow on hands and knees, slowly, breathing out as you round your back",
            "Pelvic tilt",
            "Side plank",
            "Bird dog",
        ]
    )
]


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
async def test_a_wrapped_name_goes_on_under_the_name_and_the_list_opens_at_the_top(
    size: tuple[int, int],
) -> None:
    """A name longer than the list goes on under the name (four spaces), not under the
    tick column; the offer opens at its top, the first offer highlighted, whatever the
    terminal (at 60x20 the list has room for a part of it only)."""
    app = Host([*LONG_UPS, BRIDGES_DOWN])
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        offers = app.screen.query_one("#levels-ups", OfferList)
        assert offers.highlighted == 0 and offers.scroll_offset.y == 0
        body = app.screen.query_one("#levels-body")
        assert body.scroll_offset.y == 0
        lines = screen_text(app).splitlines()
        first = next(i for i, line in enumerate(lines) if "[x] Knee to chest" in line)
        assert "Ready for a step up?" in "".join(lines[:first])  # the heading above it
        column = lines[first].index("[x]")
        drawn = [offers.render_line(y).text for y in range(offers.size.height)]
        assert all(line.startswith(("[x] ", "[ ] ", "    ")) for line in drawn)
        if size[0] < 100:  # the first name is wrapped: its next row is under the name
            assert lines[first + 1][column : column + 4] == "    "
            assert lines[first + 1][column + 4] != " "
            assert lines[first + 1][column + 4 :].startswith(("your head", "folded towel"))


LONG_DOWN = LevelChange(
    3,
    "Cat-cow on hands and knees, slowly, breathing out as you round your back",
    "down",
    LevelChoice(hold=15),
    LevelChoice(hold=10),
    "hold 15s -> 10s",
    "after a pain stop in the last session",
)


@pytest.mark.parametrize("ups", [[], LONG_UPS[:2]])
async def test_a_wrapped_step_down_goes_on_under_its_text(ups: list[LevelChange]) -> None:
    """A step-down's wrapped line goes on under its text, not under its bullet; with no
    step-ups above it, no second blank line under the title."""
    app = Host([*ups, LONG_DOWN, BRIDGES_DOWN])
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        bullet = next(i for i, line in enumerate(lines) if "• Cat-cow" in line)
        column = lines[bullet].index("•")
        assert lines[bullet + 1][column : column + 2] == "  "
        assert lines[bullet + 1][column + 2] != " "
        assert "Stepped down after pain" in lines[bullet - 1]
        if not ups:
            title = next(i for i, line in enumerate(lines) if "your levels" in line)
            assert lines[title + 2].strip("│ ").startswith("Stepped down")
