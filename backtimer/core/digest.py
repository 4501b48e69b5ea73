"""SHA-256 without ``hashlib``: importing ``hashlib`` loads OpenSSL's digests (its
``_hashlib`` module), about 0.6 MiB of a session's memory, for the few short keys and file
hashes backtimer takes. CPython's own SHA-256 module gives the same digests; ``random``
takes its SHA-512 the same way. ``hashlib`` is the fallback where that module is missing."""

from __future__ import annotations

try:
    from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # CPython 3.11
except ImportError:  # pragma: no cover - another version or interpreter
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]  # 3.12+
    except ImportError:
        from hashlib import sha256  # type: ignore[assignment,unused-ignore]


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` in hexadecimal, as ``hashlib.sha256(data).hexdigest()``."""
    return str(sha256(data).hexdigest())
