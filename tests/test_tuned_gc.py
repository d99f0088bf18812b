"""The suite's processes run with the cyclic GC tuned (tests/tuned_gc.py): a worker's full
collections rescanned its whole heap, a sixth of its CPU."""

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.tuned_gc import GC_GEN0_THRESHOLD

REPORTS = """
import gc
import json
import sys

print(json.dumps({
    "threshold": gc.get_threshold(),
    "frozen": gc.get_freeze_count(),
    "argv": sys.argv[1:],
    "name": __name__,
}))
"""


def test_a_test_runs_with_the_tuned_threshold_and_the_imported_code_frozen() -> None:
    assert gc.get_threshold()[0] == GC_GEN0_THRESHOLD
    # The test modules and the services' code, frozen once collected.
    assert gc.get_freeze_count() > 100_000


def test_a_module_run_through_tuned_gc_gets_the_threshold_its_arguments_and_runs_once(
    tmp_path: Path,
) -> None:
    package = tmp_path / "reporter"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(REPORTS)
    (tmp_path / "plain_reporter.py").write_text(REPORTS)
    for module in ("reporter", "plain_reporter"):
        finished = subprocess.run(
            [sys.executable, "-m", "tests.tuned_gc", module, "run", "--flag", "x"],
            env={**os.environ, "PYTHONPATH": str(tmp_path)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert finished.returncode == 0, finished.stderr
        [line] = finished.stdout.splitlines()  # run once, not on import and again
        seen = json.loads(line)
        assert seen["threshold"][0] == GC_GEN0_THRESHOLD, (module, seen)
        assert seen["frozen"] > 0, (module, seen)
        assert seen["argv"] == ["run", "--flag", "x"], (module, seen)
        assert seen["name"] == "__main__", (module, seen)
        assert "RuntimeWarning" not in finished.stderr, finished.stderr
