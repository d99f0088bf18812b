"""Benchmarks: scripts run by hand (`uv run python -m benchmarks.<name>`), not tests."""

import atexit
import shutil
import tempfile
from pathlib import Path


def scratch_pgdata() -> Path:
    """A Postgres data folder in a temporary folder removed when the benchmark exits."""
    scratch = Path(tempfile.mkdtemp(prefix="score-bench-"))
    # Registered before the server starts, so it runs after pgserver stops it at exit.
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return scratch / "pgdata"
