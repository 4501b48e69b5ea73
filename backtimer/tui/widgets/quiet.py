"""Widgets that do not repaint while they cannot be seen."""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


class HiddenQuiet(Static):
    """A ``Static`` that, while hidden by the CSS, keeps what it is given without repainting,
    and shows the latest when it is shown. (A hidden widget's repaint makes Textual lay out
    and draw the whole screen again: the clock line, hidden unless the terminal is tiny, is
    updated every second.)"""

    _pending: tuple[VisualType] | None = None

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        if self.is_mounted and not self.display:
            self._pending = (content,)
            return
        self._pending = None
        super().update(content, layout=layout)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self._pending is not None and self.display:
            (content,), self._pending = self._pending, None
            super().update(content)
