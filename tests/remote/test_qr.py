"""The QR code in block characters is the code segno makes, module for module."""

from __future__ import annotations

import segno

from backtimer.remote.options import how_to, terminal_text
from backtimer.remote.qr import QUIET_ZONE, qr_lines

URL = "http://192.168.1.20:8765/" + "A1b2_-" * 7 + "x/"

UPPER = {"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}


def test_the_blocks_read_back_as_the_codes_modules() -> None:
    lines = qr_lines(URL)
    light: list[list[bool]] = []
    for line in lines:
        light.append([UPPER[ch][0] for ch in line])
        light.append([UPPER[ch][1] for ch in line])
    code = segno.make(URL, error="m", micro=False)
    expected = [[not dark for dark in row] for row in code.matrix_iter(border=QUIET_ZONE)]
    assert light[: len(expected)] == expected
    assert all(not any(row) for row in light[len(expected) :])  # the padding row, if any
    assert max(len(line) for line in lines) <= 80  # fits a terminal of 80 columns
    assert len(lines) <= 30


def test_the_terminal_text_has_the_address_and_says_who_can_reach_it() -> None:
    local = terminal_text(URL, lan=False)
    assert URL in local and "this computer only" in local
    assert "start with --lan" in local
    assert "press l to use a phone" in "\n".join(how_to(URL, lan=False, switch="l"))
    lan = terminal_text(URL, lan=True)
    assert "same network" in lan and "keep it to yourself" in lan
