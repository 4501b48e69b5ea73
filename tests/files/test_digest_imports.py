"""The modules a session uses to name cache files, write files and hash routines do not
import ``hashlib`` (module lists, no timing): it loads OpenSSL's digests, about 0.6 MiB of a
session's memory, for a few short SHA-256 keys (see backtimer.core.digest)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path


def test_caches_history_and_spoken_lengths_need_no_hashlib() -> None:
    folder = Path(tempfile.mkdtemp())
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from backtimer.files import atomic, cache\n"
        "from backtimer.history import writer\n"
        "import backtimer.sound.lengths\n"
        f"folder = Path({str(folder)!r})\n"
        "atomic.write_cache_file(folder / 'a.bin', b'x')\n"
        "(folder / 'r.toml').write_text('x')\n"
        "print(writer.file_sha256(folder / 'r.toml'))\n"
        "print('hashlib' in sys.modules, 'secrets' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    digest, flags = result.stdout.splitlines()
    assert digest == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert flags == "False False"
