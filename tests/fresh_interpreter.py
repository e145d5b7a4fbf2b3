"""What importing some modules brings with it, seen from a fresh interpreter. Not a test module."""

from __future__ import annotations

import subprocess
import sys


def imported_with(modules: tuple[str, ...], heavy: tuple[str, ...]) -> list[str]:
    """Which of `heavy` are in sys.modules after importing `modules`, in a new Python process."""
    code = (f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
            f"print(' '.join(m for m in {heavy!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()
