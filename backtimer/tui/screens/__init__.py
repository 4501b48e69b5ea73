"""The app's screens: picker, session, pain stop, summary, help and confirm."""

from __future__ import annotations

from textual.screen import Screen


def pop_above(screen: Screen) -> None:
    """Pop every screen shown on top of ``screen`` now (without their result callbacks)."""
    app = screen.app
    while app.screen is not screen and len(app.screen_stack) > 1:
        app.pop_screen()
