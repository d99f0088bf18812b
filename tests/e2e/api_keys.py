"""API keys made by `score keys create` run in the test's own process: as a process of its
own the command spends about a second of CPU and two of wall time importing, for a key."""

import os
from collections.abc import Mapping

from typer.testing import CliRunner

from services import cli


def api_key_made_here(env: Mapping[str, str], role: str, *, name: str) -> str:
    """`score keys create --role role --name name` with exactly the environment ``env`` (the
    gateway's database by URL: run here, the command must not start an embedded server)."""
    if "SCORE_GATEWAY_DATABASE_URL" not in env:
        raise ValueError("the gateway's database must be given by URL")
    arguments = ["keys", "create", "--role", role, "--name", name]
    exact = {**dict.fromkeys(os.environ), **env}  # None: unset while the command runs
    created = CliRunner().invoke(cli.app, arguments, env=exact)
    if created.exit_code != 0:
        raise RuntimeError(f"score keys create failed: {created.output}")
    return created.output.strip().splitlines()[-1]
