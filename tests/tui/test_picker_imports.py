"""The picker's first frame does without the session's engine (module lists, no timing): a
first start ever spends its time on what it shows, and the engine (and the runner and tally
that import it) is imported only when a session is prepared."""

from __future__ import annotations

import os
from pathlib import Path

from tests.python_child import python_output

#: Run the app headless as ``backtimer`` opens it (the picker) in a fresh interpreter, and
#: say which of the session's modules were imported when its first frame was on the screen.
CHILD = """
import asyncio, sys
from backtimer.tui.app import BacktimerApp, make_app
from backtimer.tui.screens.picker import PickerScreen

LATE = ("backtimer.core.engine", "backtimer.session.runner", "backtimer.session.tally")
seen = []
first_frame = BacktimerApp._first_frame

def at_first_frame(app):
    if not seen:
        seen.append((type(app.screen).__name__, [name for name in LATE if name in sys.modules]))
    first_frame(app)

BacktimerApp._first_frame = at_first_frame

async def main():
    app = make_app(None, tick_interval=None)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(500):
            if seen:
                break
            await pilot.pause(0.01)
    print(repr(seen))

asyncio.run(main())
"""


def test_the_pickers_first_frame_does_not_import_the_engine(isolated_dirs: dict[str, Path]) -> None:
    # isolated_dirs set the folders in this process's environment: the child gets them too,
    # every one empty (a first start ever).
    assert python_output(CHILD, env=os.environ) == "[('PickerScreen', [])]\n"
