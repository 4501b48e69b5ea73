"""A screen update that draws only the widgets under what changed.

For a partial update of the screen, Textual asks for the lines of every widget whose
*container* overlaps the rectangle around all the changed regions. On the session screen the
countdown (near the top) and the time left (at the bottom) change every second: the
rectangle is most of the screen and the container of most widgets is the screen itself, so
twelve widgets drew their lines every second for two that changed (a drawn widget costs
about as much as a few lines of the countdown, cached or not). :class:`SpanCompositor` asks
only the widgets whose own visible part overlaps a changed region. What reaches the
terminal is the same: Textual writes only the changed regions' spans, every cell of which
lies in the visible part of a widget that overlaps a changed region, and the widgets left
out have no cell there to hide anything behind them.
"""

from __future__ import annotations

from typing import Any

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget


class SpanCompositor(Compositor):
    """A ``Compositor`` whose partial updates draw only the widgets under a changed region."""

    _only: tuple[Region, ...] | None = None

    @property
    def visible_widgets(self) -> dict[Widget, tuple[Region, Region]]:
        widgets = super().visible_widgets
        only = self._only
        if only is None:
            return widgets
        # A widget draws region ∩ clip (clip: its container's region); Textual asks every
        # widget whose container overlaps the update, which on a screen is nearly all.
        return {
            widget: (region, clip)
            for widget, (region, clip) in widgets.items()
            if any(region.intersection(clip).overlaps(changed) for changed in only)
        }

    def render_partial_update(self) -> ChopsUpdate | None:
        regions = tuple(self._dirty_regions)
        if not regions:
            return super().render_partial_update()
        _ = self.cuts  # worked out (and kept) from every visible widget, before the filter
        self._only = regions
        try:
            return super().render_partial_update()
        finally:
            self._only = None


def draw_only_changes(screen: Screen[Any]) -> None:
    """Give ``screen`` a :class:`SpanCompositor` (before it is mounted); a Textual whose
    compositor is not what this was written for keeps its own."""
    compositor = getattr(screen, "_compositor", None)
    if type(compositor) is Compositor and all(
        hasattr(compositor, name) for name in ("visible_widgets", "cuts", "_dirty_regions")
    ):
        screen._compositor = SpanCompositor()
