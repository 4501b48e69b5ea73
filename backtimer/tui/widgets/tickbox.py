"""A checkbox whose mark is there only when it is ticked.

Textual's ``Checkbox`` always draws its ``X`` and tells ticked from not by colour, so an
unticked box reads as ticked on many themes and without colour (``▐X▌``). This one draws
``▐X▌`` ticked and ``▐ ▌`` not.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class TickBox(Checkbox):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button
