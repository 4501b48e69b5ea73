"""No user text is read as markup, and no control character reaches the terminal
(issue 13, item 7): notifications, prompts, titles, theme and keymap values from config.toml,
routine and exercise names, file names and data paths, with hostile values."""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshot_apps.common import build_app, screen_text, until
from textual.app import App
from textual.widgets._toast import Toast

from backtimer.files import catalog
from backtimer.files.config import Config
from backtimer.tui.screens.confirm import ConfirmScreen
from backtimer.tui.screens.picker import PickerScreen
from backtimer.tui.screens.session import SessionScreen

HOSTILE = ["[a=b:c]", "[b]bold?[/b]", "nope[x=1:2]", "[link=x]y", "[/]"]
ESC = "name\x1b]0;pwned\x07\x1b[2J.toml"

ROUTINE = """\
name = "[a=b:c] Morning [b]care"
[[exercises]]
name = "nope[x=1:2] knee to chest [/]"
hold = "5s"
steps = ["Lie on your back [b]slowly"]
"""


SENT: list[str] = []


@pytest.fixture(autouse=True)
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every notification that reaches Textual (title, then message): never as markup.
    (Recorded here: on a busy machine a toast may expire before the test looks.)"""
    original = App.notify
    SENT.clear()

    def record(self, message, *, title="", severity="information", timeout=None, markup=True):  # type: ignore[no-untyped-def]
        assert markup is False
        SENT.append(f"{title}\n{message}")
        original(self, message, title=title, severity=severity, timeout=timeout, markup=markup)

    monkeypatch.setattr(App, "notify", record)
    return SENT


def toasts(app) -> list[str]:  # type: ignore[no-untyped-def]
    rendered = [str(toast.render()) for toast in app.screen.query(Toast)]
    return SENT + rendered


async def test_notifications_show_hostile_text_literally_and_escape_control_characters() -> None:
    app = build_app(None, entries=lambda: [])
    async with app.run_test(size=(120, 40)) as pilot:
        for text in HOSTILE:
            app.notify(f"{text} in a notification", title=text)
            app.screen.notify(f"{text} from a screen", markup=True)  # even when asked
        app.notify(f"{ESC} changed on disk", title=ESC)
        await pilot.pause()
        shown = "\n".join(toasts(app))
        for text in HOSTILE:
            assert f"{text} in a notification" in shown
            assert f"{text} from a screen" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert "name\\x1b]0;pwned\\x07\\x1b[2J.toml changed on disk" in shown


async def test_hostile_theme_keymap_and_data_path_start_the_app(isolated_dirs) -> None:
    keymap = {"help": "nope[x=1:2]", "settings": "[b]", "nope_x": "[a=b:c]"}
    config = Config(theme="nope[x=1:2]", keymap=keymap)
    app = build_app(None, entries=lambda: [], config=config)
    app.notes.append(f"History is off: {isolated_dirs['data']}/[a=b:c]/x cannot be written")
    async with app.run_test(size=(120, 40)) as pilot:
        # The footer fills in once the picker's bindings are known (a frame or more after
        # the first one on a loaded machine): wait for it, and for the notices.
        def footer() -> str:
            return screen_text(app).splitlines()[-1]

        def ready() -> bool:
            notices = "\n".join(toasts(app))
            return (
                isinstance(app.screen, PickerScreen)
                and "[b]" in footer()
                and "Unknown theme" in notices
                and "cannot be written" in notices
            )

        await until(pilot, ready, "the picker with its footer and notices")
        shown = "\n".join(toasts(app))
        assert "Unknown theme 'nope[x=1:2]' in the settings" in shown
        assert "/[a=b:c]/x cannot be written" in shown
        assert isinstance(app.screen, PickerScreen)
        assert "nope[x=1:2]" in footer() and "[b]" in footer()  # keys as written


async def test_hostile_routine_and_exercise_names_in_picker_session_and_prompts(
    user_routines: Path,
) -> None:
    (user_routines / "hostile[b].toml").write_text(ROUTINE, encoding="utf-8")
    (user_routines / "z[a=b:c]\x1b[31m.toml").write_text("name = 1\n", encoding="utf-8")
    app = build_app(None, entries=catalog.user)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "[a=b:c] Morning [b]care" in text
        assert "z[a=b:c]\\x1b[31m  INVALID" in text
        assert "\x1b" not in text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        text = screen_text(app)
        assert "nope[x=1:2] knee to chest [/]" in text
        assert "Lie on your back [b]slowly" in text
        # The resume prompt, as the session screen says it: a line of its own layout (no
        # toast over a session), shown literally.
        from backtimer.session.launch import resume_prompt

        app.screen.notify(resume_prompt(app.screen.session.step))
        await pilot.pause()
        assert "Resuming at nope[x=1:2] knee to chest [/]" in screen_text(app)


async def test_a_confirm_prompt_shows_names_literally() -> None:
    app = build_app(None, entries=lambda: [])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmScreen(f"Resume {HOSTILE[0]} {ESC}?", f"at {HOSTILE[1]}"))
        await pilot.pause()
        question = str(app.screen.query_one("#confirm-question").render())
        detail = str(app.screen.query_one("#confirm-detail").render())
        assert question == "Resume [a=b:c] name\\x1b]0;pwned\\x07\\x1b[2J.toml?"
        assert detail == "at [b]bold?[/b]"
        assert "\x1b" not in screen_text(app)
