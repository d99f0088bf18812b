"""API keys made by `score keys create` run in the test's own process (see
benchmarks.processes.score_here), for platforms whose databases are given by URL."""

from collections.abc import Mapping

from benchmarks.processes import score_here


def api_key_made_here(env: Mapping[str, str], role: str, *, name: str) -> str:
    """`score keys create --role role --name name` with exactly the environment ``env`` (the
    gateway's database by URL: run here, the command must not start an embedded server)."""
    if "SCORE_GATEWAY_DATABASE_URL" not in env:
        raise ValueError("the gateway's database must be given by URL")
    created = score_here(env, "keys", "create", "--role", role, "--name", name)
    return created.strip().splitlines()[-1]
