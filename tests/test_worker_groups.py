"""The suite's grouping (tests/conftest.py) only helps if pytest-xdist still schedules by
its groups: with pytest 9.2 it silently stopped, and every worker built the e2e platform."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.storage import StorageSettings

GROUPED = """
import os
from pathlib import Path

import pytest

def record(name):
    Path(os.environ["WORKERS_SEEN"], name).write_text(os.environ.get("PYTEST_XDIST_WORKER", "-"))

@pytest.mark.xdist_group("shared")
@pytest.mark.parametrize("n", range(6))
def test_grouped(n):
    record(f"grouped-{n}")

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    record(f"free-{n}")
"""


def test_tests_in_one_xdist_group_run_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_groups.py").write_text(GROUPED)
    seen = tmp_path / "seen"
    seen.mkdir()
    command = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q"]
    # Outside the checkout, pyproject's addopts do not apply: the plugins no test uses are
    # left out here too (~1.8 s of CPU in each of the three pytest processes).
    command += ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]
    finished = subprocess.run(
        [*command, "-p", "no:cacheprovider", str(tmp_path / "test_groups.py")],
        cwd=tmp_path,
        env={"WORKERS_SEEN": str(seen), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    workers = {path.name: path.read_text() for path in seen.iterdir()}
    assert len(workers) == 12
    grouped = {worker for name, worker in workers.items() if name.startswith("grouped")}
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}"


def test_each_worker_keeps_its_files_in_a_folder_of_its_own() -> None:
    """The file store and keys live under SCORE_DATA_DIR: shared by the workers, one
    worker's uploads showed up in another's "nothing was stored" assertions."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        pytest.skip("one process: nothing to share the folder with")
    data = Path(os.environ["SCORE_DATA_DIR"])
    assert data.name == worker
    assert data.is_dir()
    assert StorageSettings().local_path.is_relative_to(data)


SHOW_GROUPS = """
import json
import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    groups = {}
    for item in items:
        mark = item.get_closest_marker("xdist_group")
        groups[item.nodeid] = mark.args[0] if mark else None
    with open(os.environ["GROUPS_SEEN"], "w") as seen:
        json.dump(groups, seen)
"""


def test_the_slowest_modules_are_shared_by_both_workers_in_parts(tmp_path: Path) -> None:
    """The slowest modules are not queued behind each other on one worker: the tenancy
    matrix builds its world once per part (two groups of its own), and the schemathesis run
    (one run, bounded in cases) has a group of its own, apart from the end-to-end platform's
    group, so it runs beside that group on the other worker."""
    (tmp_path / "show_groups.py").write_text(SHOW_GROUPS)
    seen = tmp_path / "groups.json"
    parts_expected = {"tests/test_tenancy_matrix.py": 2, "tests/e2e/test_openapi_conformance.py": 1}
    root = Path(__file__).parent.parent
    finished = subprocess.run(
        [
            sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "show_groups",
            *parts_expected, "tests/e2e/test_gateway.py",
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "GROUPS_SEEN": str(seen)},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout + finished.stderr
    groups: dict[str, str | None] = json.loads(seen.read_text())
    platform_group = {
        g for nodeid, g in groups.items() if nodeid.startswith("tests/e2e/test_gateway")
    }
    assert platform_group == {"tests/e2e"}, platform_group
    for module, expected in parts_expected.items():
        # Every test of the module's shared fixture in a part; the rest need no group.
        parts = {group for nodeid, group in groups.items() if nodeid.startswith(module) and group}
        assert len(parts) == expected, (module, parts)
        assert "tests/e2e" not in parts, (module, parts)
