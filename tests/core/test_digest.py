"""backtimer.core.digest gives hashlib's SHA-256 digests (without loading OpenSSL's)."""

from __future__ import annotations

import hashlib

import pytest

from backtimer.core.digest import sha256_hex


@pytest.mark.parametrize(
    "data",
    [b"", b"abc", "Hold \u00e9\ud800".encode("utf-8", "surrogatepass"), bytes(range(256)) * 300],
)
def test_same_digest_as_hashlib(data: bytes) -> None:
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()
