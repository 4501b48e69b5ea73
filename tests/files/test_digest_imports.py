"""The modules a session uses to name cache files, write files and hash routines do not
import ``hashlib`` (module lists, no timing): it loads OpenSSL's digests, about 0.6 MiB of a
session's memory, for a few short SHA-256 keys (see backtimer.core.digest)."""

from __future__ import annotations

from pathlib import Path

from tests.python_child import python_output


def test_caches_history_and_spoken_lengths_need_no_hashlib(tmp_path: Path) -> None:
    folder = tmp_path
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
    digest, flags = python_output(code).splitlines()
    assert digest == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert flags == "False False"
