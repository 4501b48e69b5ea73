"""The app's screens: picker, session, pain stop, summary, help and confirm."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, ClassVar

from textual.screen import Screen

if TYPE_CHECKING:
    from textual.app import App


def pop_above(screen: Screen) -> None:
    """Pop every screen shown on top of ``screen`` now (without their result callbacks)."""
    app = screen.app
    while app.screen is not screen and len(app.screen_stack) > 1:
        app.pop_screen()


def add_styles(app: App[Any], screen_class: type) -> None:
    """Add ``screen_class.STYLES`` to the app's stylesheet, once (see :class:`OwnStyles`)."""
    styles: str = getattr(screen_class, "STYLES", "")
    if not styles:
        return
    module = sys.modules.get(screen_class.__module__)
    where = (getattr(module, "__file__", None) or "", f"{screen_class.__name__}.STYLES")
    # The same tier as app.tcss (not a widget's DEFAULT_CSS); adding a source parses only
    # that source (Textual keeps the others' rules), and the same source twice is a no-op.
    app.stylesheet.add_source(styles, read_from=where, is_default_css=False)


class OwnStyles:
    """A screen whose rules (``STYLES``, Textual CSS as in app.tcss) join the app's
    stylesheet the first time one is shown, not at the app's start: parsing the rules of
    every dialog was about a twentieth of the work before a session's first frame.

    Put it before the Textual screen class: ``class PainScreen(OwnStyles, ModalScreen)``.
    The rules only name the screen's own widgets, so no widget shown before needs restyling.
    A variable of app.tcss (``$stopped``) is not seen here: each ``STYLES`` sets its own.
    """

    STYLES: ClassVar[str] = ""

    def _post_register(self, app: App[Any]) -> None:
        # Textual calls this as the screen is registered, before its styles are worked out.
        add_styles(app, type(self))
        super()._post_register(app)  # type: ignore[misc]
