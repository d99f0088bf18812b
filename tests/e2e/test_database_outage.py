"""The database goes away under the running platform and comes back: every process answers
503 problem details with Retry-After meanwhile (the gateway's API-key check too), readiness
goes false, and everything recovers by itself, with no restart."""

import pwd
import subprocess
import warnings
from functools import partial
from pathlib import Path

import httpx

from benchmarks.processes import Platform, eventually, ready
from shared.embedded_pg import embedded_url
from tests.e2e.api_keys import api_key_made_here
from tests.e2e.test_score_up import ilo_headers

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pgserver warns at import on machines without XDG dirs
    import pgserver

# The embedded server's own tools, run as the user it runs as (pgserver's, under root).
PG_BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"


def pg_ctl(pgdata: Path, *arguments: str) -> None:
    command = [str(PG_BIN / "pg_ctl"), "-D", str(pgdata), *arguments]
    try:
        pwd.getpwnam("pgserver")
        command = ["runuser", "-u", "pgserver", "--", *command]
    except KeyError:
        pass
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def stop_database(pgdata: Path) -> None:
    pg_ctl(pgdata, "-w", "-m", "fast", "stop")


def start_database(pgdata: Path) -> None:
    # As pgserver starts it: no TCP, the socket in the data folder.
    pg_ctl(pgdata, "-w", "-o", '-h ""', "-o", f"-k {pgdata}", "-l", str(pgdata / "log"), "start")


def test_a_database_outage_is_answered_503_and_recovered_from_without_restart(
    platform: Platform,
) -> None:
    pgdata = Path(platform.env["SCORE_DATA_DIR"]) / "pgdata"
    # A key the gateway has not checked yet: its check needs the gateway's database.
    gateway_database = embedded_url(str(pgdata), "gateway")
    env = {**platform.env, "SCORE_GATEWAY_DATABASE_URL": gateway_database}
    key = api_key_made_here(env, "ilo_global", name="outage")
    stop_database(pgdata)
    try:
        through_gateway = httpx.get(
            f"{platform.gateway}/enrolment/enterprises", headers={"X-API-Key": key}, timeout=60
        )
        direct = {
            name: httpx.get(url, headers=ilo_headers(platform), timeout=60)
            for name, url in (
                ("enrolment", f"{platform.enrolment}/enterprises"),
                ("indicators", f"{platform.indicators}/values"),
                ("reporting", f"{platform.reporting}/reach"),
            )
        }
        readiness = {name: ready(url) for name, url in platform.urls.items()}
    finally:
        start_database(pgdata)

    for response in (through_gateway, *direct.values()):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/database-unavailable")
        assert int(response.headers["Retry-After"]) > 0
    assert readiness == dict.fromkeys(platform.urls, False)

    # Back without a restart: the pools drop their dead connections and reconnect.
    for url in platform.urls.values():
        assert eventually(partial(ready, url), timeout=120), url
    again = httpx.get(
        f"{platform.gateway}/enrolment/enterprises?limit=1",
        headers={"X-API-Key": key},
        timeout=60,
    )
    assert again.status_code == 200, again.text
    for url in (f"{platform.indicators}/values?limit=1", f"{platform.reporting}/reach"):
        assert httpx.get(url, headers=ilo_headers(platform), timeout=60).status_code == 200
