"""SVG snapshots of every screen at 120x40, 80x24 and 60x20 (pytest-textual-snapshot).

The scenes (tests/snapshot_apps/scenes.py) use a fixed routine and a fake clock, so the
images only change when the UI does. After a deliberate change to the UI, regenerate with
``.venv/bin/pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the new images.
"""

from __future__ import annotations

import pytest
from snapshot_apps.scenes import SCENES

SIZES = [(120, 40), (80, 24), (60, 20)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("scene", list(SCENES))
def test_snapshot(snap_compare, scene: str, size: tuple[int, int]) -> None:
    app, before = SCENES[scene]()
    assert snap_compare(app, terminal_size=size, run_before=before)
