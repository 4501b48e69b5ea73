"""Run Python code in a fresh interpreter (what a check of "which modules are imported"
needs: this process has imported everything already)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping


def python_output(
    code: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> str:
    """The standard output of ``python -c CODE ARGS``; the test fails (with the child's
    standard error) if it does not exit with 0."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=None if env is None else dict(env),
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
