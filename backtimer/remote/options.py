"""How a front end asks for the remote, and what the terminal says about it."""

from __future__ import annotations

from dataclasses import dataclass

from backtimer.remote.qr import qr_lines


@dataclass(frozen=True)
class RemoteOptions:
    """``--remote [--port N] [--lan]``: port 0 takes any free one; ``lan``: listen on every
    interface (a phone on the same network) instead of this computer only."""

    port: int = 0
    lan: bool = False


def how_to(url: str, *, lan: bool, switch: str | None = None) -> list[str]:
    """What to do with the address, in words; ``switch``: the key that lets the network in
    (the app's address screen), instead of --lan."""
    lines = [f"Phone remote: {url}"]
    if lan:
        lines.append(
            "Scan the code with a phone on the same network (anyone with this address can "
            "control the session: keep it to yourself)."
        )
    else:
        how = f"press {switch}" if switch else "start with --lan"
        lines.append(
            "It listens on this computer only: open the address in a browser here, or "
            f"{how} to use a phone on the same network."
        )
    return lines


def terminal_text(url: str, *, lan: bool) -> str:
    """The address, its QR code (block characters) and what to do, for a terminal."""
    return "\n".join([*qr_lines(url), *how_to(url, lan=lan)])
