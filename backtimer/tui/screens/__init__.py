"""The app's screens: picker, session, pain stop, summary, help and confirm."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.app import App


def pop_above(screen: Screen) -> None:
    """Pop every screen shown on top of ``screen`` now (without their result callbacks)."""
    app = screen.app
    while app.screen is not screen and len(app.screen_stack) > 1:
        app.pop_screen()


def preset_breakpoints(screen: Screen) -> None:
    """Give ``screen`` the breakpoint classes for the terminal's size now (the app's
    ``VERTICAL_BREAKPOINTS``: ``-tall``, ``-short``...), before its widgets get their styles.
    Textual sets them at the screen's first resize, after the widgets were styled, which
    styled every widget of the screen once more before the first frame; set here, the
    resize finds them set and restyles nothing. The resize still sets what it works out, so
    a terminal of another size is never left with the wrong class."""
    app = screen.app
    width, height = app.size
    horizontal, vertical = screen.HORIZONTAL_BREAKPOINTS, screen.VERTICAL_BREAKPOINTS
    chosen: dict[str, bool] = {}
    for size, pairs in (
        (width, (app.HORIZONTAL_BREAKPOINTS if horizontal is None else horizontal) or []),
        (height, (app.VERTICAL_BREAKPOINTS if vertical is None else vertical) or []),
    ):
        for _, name in pairs:
            chosen.setdefault(name, False)
        # The one Textual picks at a resize (the largest breakpoint the size reaches).
        for name in screen._get_breakpoint_classes(size, pairs):
            chosen[name] = True
    screen.update_classes(chosen, update=False)


class StyledAtMount:
    """A screen whose first showing does not style all its widgets once more.

    Textual styles each widget as it is mounted, then again, all of them, when the screen
    is shown (its ``ScreenResume``): for a screen shown again after the theme or the rules
    changed while it was hidden. The first time, the widgets were styled moments before,
    with the rules as they are (a theme change restyles every screen of the stack at once):
    that second pass was about a twentieth of the work before a session's first frame.
    Only the screen itself is styled again (classes set on it before its widgets mounted,
    such as the breakpoints, see :func:`preset_breakpoints`); later showings are Textual's.

    Put it before the Textual screen class: ``class SessionScreen(StyledAtMount, Screen)``.
    """

    _shown_before = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Called before Textual's own handler (the classes of the MRO in order), which
        # restyles every widget when ``refresh_styles`` is set.
        if not self._shown_before:
            self._shown_before = True
            if event.refresh_styles:
                event.refresh_styles = False
                screen = cast(Screen, self)
                screen.app.stylesheet.apply(screen)


class DrawnAfterStartUp:
    """A screen that is not drawn while the app starts, and says when it first is.

    Textual starts the app in a batch: nothing is written to the terminal until it ends.
    A screen shown then is still laid out and drawn, every widget of it, and the drawing
    is dropped (what it drew counts as shown, so the first frame written after the batch
    was only the part changed since, and the whole screen came with the next resize).
    Here the drawing waits for the batch's end, where the whole screen is written at once:
    the first frame comes earlier, and is drawn once. Then the callables in
    :attr:`when_drawn` (the app's) are called, once, before anything else is done.

    Put it before the Textual screen class: ``class PickerScreen(DrawnAfterStartUp, Screen)``.
    """

    _drawn = False

    @property
    def when_drawn(self) -> list[Callable[[], None]]:
        """Called once the screen's first frame is on the terminal."""
        waiting: list[Callable[[], None]] | None = self.__dict__.get("_when_drawn")
        if waiting is None:
            waiting = self.__dict__["_when_drawn"] = []
        return waiting

    def _compositor_refresh(self) -> None:
        screen = cast(Screen, self)
        if screen.app._batch_count:
            # Not written, and left to be drawn: what changed stays to be drawn after it.
            return
        super()._compositor_refresh()  # type: ignore[misc]
        if not self._drawn and screen.app.screen is screen:
            self._drawn = True
            waiting, self.__dict__["_when_drawn"] = self.when_drawn, []
            for callback in waiting:
                callback()


def add_styles(app: App[Any], screen_class: type) -> None:
    """Add ``screen_class``'s rules (``STYLES_PATH``, ``STYLES``) to the app's stylesheet,
    once (see :class:`OwnStyles`)."""
    stylesheet = app.stylesheet
    module = sys.modules.get(screen_class.__module__)
    module_file = getattr(module, "__file__", None) or ""
    # The same tier as app.tcss (not a widget's DEFAULT_CSS); adding a source parses only
    # that source (Textual keeps the others' rules), and the same source twice is a no-op.
    name: str = getattr(screen_class, "STYLES_PATH", "")
    if name:
        # As Textual reads a CSS_PATH: the absolute path, read once.
        path = os.path.abspath(os.path.join(os.path.dirname(module_file), name))
        if not stylesheet.has_source(path):
            with open(path, encoding="utf-8") as file:
                text = file.read()
            stylesheet.add_source(text, read_from=(path, ""), is_default_css=False)
    styles: str = getattr(screen_class, "STYLES", "")
    if styles:
        where = (module_file, f"{screen_class.__name__}.STYLES")
        stylesheet.add_source(styles, read_from=where, is_default_css=False)


class OwnStyles:
    """A screen whose rules (Textual CSS as in app.tcss: the file ``STYLES_PATH``, relative
    to the screen's module as Textual's ``CSS_PATH``, then ``STYLES``) join the app's
    stylesheet the first time one is shown, not at the app's start. Parsing the rules of
    every dialog was about a twentieth of the work before a session's first frame; at a
    first start ever (nothing parsed kept, see :mod:`backtimer.tui.css_cache`), the picker
    parsed the session screen's rules, and a session the picker's.

    Put it before the Textual screen class: ``class PainScreen(OwnStyles, ModalScreen)``.
    The rules only name the screen's own widgets, so no widget shown before needs restyling.
    A variable of another screen's rules (the session's ``$stopped``) is not seen here: each
    screen's rules set their own.

    Unlike a Textual screen's ``CSS``/``CSS_PATH``, which make Textual parse every rule of
    the app again in a new stylesheet (without the kept rules), adding a source here parses
    that source alone.
    """

    STYLES_PATH: ClassVar[str] = ""
    STYLES: ClassVar[str] = ""

    def _post_register(self, app: App[Any]) -> None:
        # Textual calls this as the screen is registered, before its styles are worked out.
        add_styles(app, type(self))
        super()._post_register(app)  # type: ignore[misc]
