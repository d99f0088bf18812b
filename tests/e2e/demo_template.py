"""The demo data folder that platforms in tests start from as copies, seeded once per test run
(`score seed --demo` costs an initdb, every service's migrations and the demo data).

One for all pytest-xdist workers, beside their temporary folders, under a file lock: the first
worker to need it makes it, and another that needs it meanwhile waits for it. The end-to-end
session platform seeds its own folder for real (tests/e2e/test_score_up.py is about that) and
saves it as the template when there is none yet.
"""

import os
import shutil
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from benchmarks.processes import copy_data_folder, save_template, seed_data_folder

# What the platforms of a test run keep must not outlive a crash of the machine: their commits
# (the schemathesis run's generated writes among them) do not wait for the disk.
WITHOUT_DURABILITY = "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"


def without_durability(data_dir: Path) -> None:
    """The seeded cluster under ``data_dir`` set to commit without waiting for the disk, from its
    next start: so is every copy of it (the demo template's)."""
    with (data_dir / "pgdata" / "postgresql.auto.conf").open("a") as settings:
        settings.write(WITHOUT_DURABILITY)


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # Each worker's folder is inside the run's; without workers, the run's is the base.
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _template_and_lock(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FileLock]:
    root = _shared_root(tmp_path_factory)
    return root / "score-demo-template", FileLock(root / "score-demo-template.lock")


def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded demo data folder (made now if no worker has made it yet)."""
    template, lock = _template_and_lock(tmp_path_factory)
    with lock:
        if not template.exists():
            seeding = template.with_name(f"{template.name}.seeding")
            shutil.rmtree(seeding, ignore_errors=True)  # what an interrupted run left
            seed_data_folder(seeding)
            without_durability(seeding)
            save_template(seeding, template)
    return template


def demo_data_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A new data folder holding the demo data, a copy of the template: for
    `running_seeded_platform` where a test is not about seeding."""
    data_dir = tmp_path_factory.mktemp(name)
    copy_data_folder(demo_template(tmp_path_factory), data_dir)
    return data_dir


def seed_for_real(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> None:
    """`score seed --demo` under ``data_dir``, saved as the template if there is none yet.

    While it seeds, a worker that needs the template waits for this seed rather than making
    one more; if another worker is making the template already, this seed runs alongside.
    """
    template, lock = _template_and_lock(tmp_path_factory)
    if not template.exists():
        try:
            lock.acquire(blocking=False)
        except Timeout:
            pass  # another worker is making the template: this seed runs alongside (below)
        else:
            try:
                if not template.exists():
                    seed_data_folder(data_dir)
                    without_durability(data_dir)
                    save_template(data_dir, template)
                    return
            finally:
                lock.release()
    seed_data_folder(data_dir)
    without_durability(data_dir)
