"""How long a write through enrolment or indicators takes to show in reporting's read models.

Run: ``uv run python -m benchmarks.reporting_freshness`` (a fresh embedded Postgres under a
temporary folder, the three services as uvicorn processes on free ports; ``--help``). Each
write alternates between an enterprise profile change (enrolment's feed) and an indicator
value submitted for review (indicators' feed); after each, reporting's API is polled until
the change shows. The processes and their set-up are reused by the real-process tests.
"""

import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import asyncpg
import httpx
import typer
from rich.console import Console
from rich.table import Table

from benchmarks.processes import free_port, ready
from services.enrolment.calls.presets import load_preset
from shared.embedded_pg import asyncpg_dsn, embedded_url, start_embedded_server, with_database
from shared.enums import Role
from shared.identity import Principal, issue_token
from shared.keys import SigningKey, development_key
from shared.migrate import upgrade_async
from shared.settings import IDENTITY_KEY_NAME, Environment, PlatformSettings

SERVICES = ("enrolment", "indicators", "reporting")
ILO = Principal(subject="freshness", role=Role.ilo_global)
console = Console()


async def _recreate(url: str, service: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(asyncpg_dsn(with_database(url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await upgrade_async(service, url)


async def _drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(asyncpg_dsn(with_database(url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class ProcessPlatform:
    """The three services as real uvicorn processes, each on its own fresh database."""

    socket_dir: str
    prefix: str  # database names are "{prefix}_{service}"
    workdir: Path  # logs, and the development keys every process of the platform shares
    # Seconds a stopping process lets requests in flight finish: the consumers' long polls
    # would otherwise hold a clean stop for their full wait.
    graceful_shutdown: int = 2
    ports: dict[str, int] = field(default_factory=lambda: {s: free_port() for s in SERVICES})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def database_url(self, service: str) -> str:
        return embedded_url(self.socket_dir, f"{self.prefix}_{service}")

    def log(self, service: str) -> Path:
        return self.workdir / f"{service}.log"

    @property
    def settings(self) -> PlatformSettings:
        return PlatformSettings(environment=Environment.development, data_dir=self.workdir)

    def headers(self, principal: Principal = ILO) -> dict[str, str]:
        # Signed as the gateway would, with the development key the services accept.
        key = SigningKey.of(development_key(self.workdir, IDENTITY_KEY_NAME))
        return {"Authorization": f"Bearer {issue_token(principal, key, self.settings)}"}

    def create_databases(self) -> None:
        async def create() -> None:
            for service in SERVICES:
                await _recreate(self.database_url(service), service)

        asyncio.run(create())

    def drop_databases(self) -> None:
        async def drop() -> None:
            for service in SERVICES:
                await _drop(self.database_url(service))

        asyncio.run(drop())

    def environment(self) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.endswith(("_DATABASE_URL", "_ENROLMENT_URL", "_INDICATORS_URL"))
        }
        env |= {
            "SCORE_ENVIRONMENT": "development",
            "SCORE_DATA_DIR": str(self.workdir),
            "SCORE_INDICATORS_ENROLMENT_URL": self.url("enrolment"),
            "SCORE_REPORTING_ENROLMENT_URL": self.url("enrolment"),
            "SCORE_REPORTING_INDICATORS_URL": self.url("indicators"),
        }
        for service in SERVICES:
            env[f"SCORE_{service.upper()}_DATABASE_URL"] = self.database_url(service)
        return env

    def start(self, service: str) -> None:
        command = [
            sys.executable, "-m", "uvicorn", f"services.serving:{service}", "--factory",
            "--host", "127.0.0.1", "--port", str(self.ports[service]), "--no-access-log",
            "--timeout-graceful-shutdown", str(self.graceful_shutdown),
        ]  # fmt: skip
        with self.log(service).open("a") as output:
            self.processes[service] = subprocess.Popen(
                command, env=self.environment(), stdout=output, stderr=subprocess.STDOUT
            )

    def wait_ready(self, service: str, timeout: float = 120) -> None:
        process = self.processes[service]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{service} exited:\n{self.log(service).read_text()}")
            if ready(self.url(service)):  # a probe of a few milliseconds, not a new client
                return
            time.sleep(0.1)
        raise RuntimeError(f"{service} never got ready:\n{self.log(service).read_text()}")

    def stop(self, service: str, *, kill: bool = False) -> None:
        """SIGTERM for a clean shutdown (SIGINT is ignored under a backgrounded shell), or
        SIGKILL: the process dies wherever it is."""
        process = self.processes.pop(service)
        if kill:
            process.kill()
            process.wait()
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        # All at once: a producer waits out a long poll still open on its feed (even one
        # whose consumer has stopped), and one after another those waits added up.
        stopping = list(self.processes.values())
        self.processes.clear()
        for process in stopping:
            process.send_signal(signal.SIGTERM)
        for process in stopping:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def running_platform(
    socket_dir: str, *, prefix: str, workdir: Path, graceful_shutdown: int = 2
) -> Iterator[ProcessPlatform]:
    """Fresh databases, the three services started and ready; everything removed after."""
    platform = ProcessPlatform(
        socket_dir=socket_dir,
        prefix=prefix,
        workdir=workdir,
        graceful_shutdown=graceful_shutdown,
    )
    platform.create_databases()
    try:
        for service in SERVICES:
            platform.start(service)
        for service in SERVICES:
            platform.wait_ready(service)
        yield platform
    finally:
        platform.stop_all()
        platform.drop_databases()


# --- a measurable enterprise, made through the public APIs --------------------------------


@dataclass(frozen=True)
class Measured:
    """An EFP enterprise at its baseline assessment, with an indicator and a round to fill."""

    enterprise_id: UUID
    project_id: UUID
    partner: Principal
    indicator_code: str
    round_id: UUID


def _ok(response: httpx.Response) -> Any:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


def wait_for(condition: Callable[[], bool], *, timeout: float, poll: float = 0.01) -> float:
    """Seconds until ``condition`` held; raises TimeoutError after ``timeout``."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"not true within {timeout} s")
        time.sleep(poll)
    return time.perf_counter() - started


def prepare(platform: ProcessPlatform, client: httpx.Client) -> Measured:
    """A partner, a project, a call the enterprise applies to and is shortlisted from, its
    walk to the baseline assessment; an indicator and a baseline round - all by HTTP."""
    enrolment, indicators = platform.url("enrolment"), platform.url("indicators")
    ilo = platform.headers()
    tag = uuid4().hex[:8]
    efp = _ok(
        client.post(
            f"{enrolment}/organisations",
            json={"name": f"EFP {tag}", "short_name": "EFP", "kind": "implementation_partner",
                  "country": "PK"},
            headers=ilo,
        )
    )  # fmt: skip
    project = _ok(
        client.post(
            f"{enrolment}/projects",
            json={"name": "ILES Pakistan", "country": "PK", "partner_ids": [efp["id"]]},
            headers=ilo,
        )
    )
    partner = Principal(
        subject="efp-officer", role=Role.partner_staff, organisation_id=UUID(efp["id"])
    )
    staff = platform.headers(partner)
    call = _ok(
        client.post(
            f"{enrolment}/calls",
            json={
                "project_id": project["id"],
                "title": "SCORE Pakistan call",
                "deadline": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                "capacity": 10,
                "criteria": [c.model_dump(mode="json") for c in load_preset("pakistan_2018")],
            },
            headers=ilo,
        )
    )
    enterprise = _ok(
        client.post(
            f"{enrolment}/enterprises",
            json={
                "name": f"Karachi Knitwear {tag}", "country": "PK", "city": "Karachi",
                "sector": "textile", "sub_sector": "ready_made_garments",
                "workforce_total": 450, "workforce_permanent": 300, "workforce_female": 200,
                "workforce_male": 250, "has_hr_officer": True, "has_compliance_officer": True,
                "has_industrial_engineer": True,
            },
            headers=staff,
        )
    )  # fmt: skip
    _ok(
        client.post(
            f"{enrolment}/calls/{call['id']}/applications",
            json={
                "enterprise_id": enterprise["id"],
                "answers": {
                    "willing_to_share_order_status": True,
                    "willing_to_share_baseline_data": True,
                    "ceo_attends_workshops": True,
                },
            },
            headers=staff,
        )
    )
    _ok(client.post(f"{enrolment}/calls/{call['id']}/shortlist", headers=ilo))
    [enrolment_row] = _ok(
        client.get(
            f"{enrolment}/enrolments", params={"enterprise_id": enterprise["id"]}, headers=ilo
        )
    )["items"]
    # Assessments move the enrolment to their stages.
    for kind in ("initial", "baseline"):
        _ok(
            client.post(
                f"{enrolment}/enrolments/{enrolment_row['id']}/assessments",
                json={
                    "kind": kind,
                    "assessed_on": "2018-09-12",
                    "assessor": "Ayesha Siddiqui",
                    "findings": [{"area": "Quality", "finding": "Defects found at the end"}],
                },
                headers=ilo,
            )
        )
    code = f"rejects_{tag}"
    _ok(
        client.post(
            f"{indicators}/indicators",
            json={"code": code, "name_en": "Rejected garments", "name_fr": "Rejets",
                  "name_es": "Rechazos", "kind": "count", "unit": "garments",
                  "direction": "down", "disaggregations": []},
            headers=ilo,
        )
    )  # fmt: skip
    baseline = _ok(
        client.post(
            f"{indicators}/rounds",
            json={"project_id": project["id"], "kind": "baseline", "sequence": 1,
                  "name": "Baseline", "starts_on": "2018-09-01", "ends_on": "2018-10-31"},
            headers=ilo,
        )
    )  # fmt: skip

    def replicated() -> bool:
        status = client.get(f"{indicators}/replica/status", headers=ilo).json()
        return bool(status.get("lag") == 0 and status.get("position", 0) > 0)

    # Indicators accepts values once its replica knows the enterprise's stage.
    wait_for(replicated, timeout=30, poll=0.1)
    return Measured(
        enterprise_id=UUID(enterprise["id"]),
        project_id=UUID(project["id"]),
        partner=partner,
        indicator_code=code,
        round_id=UUID(baseline["id"]),
    )


def read_model(platform: ProcessPlatform, client: httpx.Client, enterprise_id: UUID) -> Any:
    """The enterprise as reporting's read models hold it, or None while they do not."""
    response = client.get(
        f"{platform.url('reporting')}/readmodels/enterprises/{enterprise_id}",
        headers=platform.headers(),
    )
    return response.json() if response.status_code == 200 else None


def change_profile(
    platform: ProcessPlatform, client: httpx.Client, measured: Measured, workforce: int
) -> Callable[[], bool]:
    """An enrolment write; returns the check that reporting shows it."""
    _ok(
        client.patch(
            f"{platform.url('enrolment')}/enterprises/{measured.enterprise_id}",
            json={"workforce_total": workforce},
            headers=platform.headers(measured.partner),
        )
    )

    def visible() -> bool:
        found = read_model(platform, client, measured.enterprise_id)
        return found is not None and found["workforce_total"] == workforce

    return visible


def submit_value(
    platform: ProcessPlatform, client: httpx.Client, measured: Measured, month: date
) -> Callable[[], bool]:
    """An indicators write (a monthly value submitted for review); returns its check."""
    before = read_model(platform, client, measured.enterprise_id)
    submitted = (before or {}).get("values_by_status", {}).get("submitted", 0)
    _ok(
        client.post(
            f"{platform.url('indicators')}/values/batches",
            json={
                "values": [
                    {
                        "enterprise_id": str(measured.enterprise_id),
                        "indicator_code": measured.indicator_code,
                        "month": month.isoformat(),
                        "value": 7,
                    }
                ],
                "submit": True,
            },
            headers=platform.headers(measured.partner),
        )
    )

    def visible() -> bool:
        found = read_model(platform, client, measured.enterprise_id)
        counted = found["values_by_status"].get("submitted", 0) if found else 0
        return bool(counted == submitted + 1)

    return visible


@dataclass
class Sample:
    feed: str
    seconds: float


def measure(
    platform: ProcessPlatform, client: httpx.Client, measured: Measured, writes: int
) -> list[Sample]:
    """Alternate enrolment and indicators writes; the time from each write's acknowledgement
    (it has committed) until reporting's API shows it."""
    samples = []
    for number in range(writes):
        if number % 2 == 0:
            visible = change_profile(platform, client, measured, 500 + number)
            feed = "enrolment"
        else:
            month = date(2000 + number // 12, number % 12 + 1, 1)
            visible = submit_value(platform, client, measured, month)
            feed = "indicators"
        samples.append(Sample(feed, wait_for(visible, timeout=30)))
    return samples


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def report(samples: list[Sample]) -> Table:
    table = Table(title="Write to visible in reporting (seconds)")
    for column in ("feed", "writes", "median", "p95", "max"):
        table.add_column(column, justify="right" if column != "feed" else "left")
    groups = {
        "enrolment": [s.seconds for s in samples if s.feed == "enrolment"],
        "indicators": [s.seconds for s in samples if s.feed == "indicators"],
        "all": [s.seconds for s in samples],
    }
    for name, values in groups.items():
        if len(values) < 2:
            continue
        table.add_row(
            name,
            str(len(values)),
            f"{statistics.median(values):.3f}",
            f"{p95(values):.3f}",
            f"{max(values):.3f}",
        )
    return table


def main(
    writes: Annotated[int, typer.Option(min=4, help="Writes to time (half per feed)")] = 50,
) -> None:
    """Start the platform on a fresh embedded Postgres, prepare, time ``writes`` writes."""
    root = Path(tempfile.mkdtemp(prefix="score-freshness-"))
    try:
        socket_dir = start_embedded_server(root / "pgdata")
        with (
            console.status("starting enrolment, indicators and reporting"),
            running_platform(socket_dir, prefix="freshness", workdir=root) as platform,
            httpx.Client(timeout=30) as client,
        ):
            measured = prepare(platform, client)
            # The set-up's events are applied before timing starts.
            wait_for(
                lambda: read_model(platform, client, measured.enterprise_id) is not None,
                timeout=30,
            )
            samples = measure(platform, client, measured, writes)
        console.print(report(samples))
        median = statistics.median(s.seconds for s in samples)
        verdict = "[green]within[/green]" if median < 2 else "[red]over[/red]"
        console.print(f"median {median:.3f} s: {verdict} the 2 s freshness target")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    typer.run(main)
