"""Node.js tools the tests run (the graphql-http audit, the reference composer): each lives
in a folder with its package.json and package-lock.json and is installed with `npm ci`, so
CI on a bare machine with Node.js and npm installs exactly the pinned versions."""

import fcntl
import shutil
import subprocess
from pathlib import Path


def installed(directory: Path, package: str) -> str:
    """The node executable, after `npm ci` in ``directory`` if ``package`` is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node is not None, "Node.js is needed for the tests in " + str(directory)
    assert npm is not None, "npm is needed to install the packages of " + str(directory)
    # Parallel test workers (pytest-xdist) may need the same tools at once: one installs
    # while the others wait, then find them installed (`npm ci` starts by deleting them).
    with (directory / ".npm-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / "node_modules" / package / "package.json").exists():
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=directory, check=True, capture_output=True, timeout=600,
            )  # fmt: skip
    return node
