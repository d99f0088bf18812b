"""The platform as real processes, for benchmarks and end-to-end tests alike: `score seed
--demo` then `score up` on a fresh embedded Postgres (or, for tests that opt in, on a copy of
a data folder seeded once), every process on a free port, and API keys made with `score keys
create` the way an operator makes them."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from services.registry import SERVICES
from shared.embedded_pg import (
    embedded_url,
    running_socket_dir,
    start_embedded_server,
    stop_embedded_server,
)
from shared.identity import Principal, issue_token
from shared.keys import SigningKey, development_key
from shared.settings import IDENTITY_KEY_NAME, Environment, PlatformSettings

PROCESSES = ("gateway", "enrolment", "indicators", "reporting")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Platform:
    urls: dict[str, str]
    env: dict[str, str]
    log: Path
    data_dir: Path
    # `score up`'s process id while it runs; its children are the services.
    process_id: int | None = None
    _keys: dict[tuple[Any, ...], str] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    @property
    def enrolment(self) -> str:
        return self.urls["enrolment"]

    @property
    def indicators(self) -> str:
        return self.urls["indicators"]

    @property
    def reporting(self) -> str:
        return self.urls["reporting"]

    def identity_headers(
        self, principal: Principal, *, graph: bool = False, ttl_seconds: int | None = None
    ) -> dict[str, str]:
        """A service reached directly, with a token signed as the gateway signs it (the
        development key under the data folder; ``graph`` for a subgraph's /graphql)."""
        settings = PlatformSettings(environment=Environment.development, data_dir=self.data_dir)
        key = SigningKey.of(development_key(self.data_dir, IDENTITY_KEY_NAME))
        audience = settings.identity_graph_audience if graph else settings.identity_audience
        token = issue_token(principal, key, settings, audience=audience, ttl_seconds=ttl_seconds)
        return {"Authorization": f"Bearer {token}"}

    def score(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli", *arguments],
            env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def score_here(self, *arguments: str) -> str:
        """`score ...arguments` run in this process (see ``score_here``) against this platform."""
        return score_here(self.gateway_database_env(), *arguments)

    def gateway_database_env(self) -> dict[str, str]:
        """The platform's environment with the gateway's database given by URL. Run in this
        process, a command must reach the embedded server `score up` holds by its socket, not
        join it through pgserver: joining makes this process one of the server's holders, and
        the server would outlive the platform's stop."""
        if "SCORE_GATEWAY_DATABASE_URL" in self.env:
            return self.env
        settings = PlatformSettings(environment=Environment.development, data_dir=self.data_dir)
        socket_dir = running_socket_dir(settings.embedded_pg_dir)
        if socket_dir is None:
            raise RuntimeError(f"no Postgres is running under {settings.embedded_pg_dir}")
        return {**self.env, "SCORE_GATEWAY_DATABASE_URL": embedded_url(socket_dir, "gateway")}

    def api_key(
        self,
        role: str,
        *,
        org: UUID | str | None = None,
        project: UUID | str | None = None,
        enterprise: UUID | str | None = None,
        scopes: tuple[str, ...] = (),
        name: str = "e2e",
    ) -> str:
        """A key made by `score keys create`, as an operator hands one to a partner."""
        cache_key = (role, str(org), str(project), str(enterprise), scopes, name)
        if cache_key not in self._keys:
            arguments = ["keys", "create", "--role", role, "--name", name]
            for scope in scopes:
                arguments += ["--scope", scope]
            for option, value in (("--org", org), ("--project", project)):
                if value is not None:
                    arguments += [option, str(value)]
            if enterprise is not None:
                arguments += ["--enterprise", str(enterprise)]
            self._keys[cache_key] = self.score_here(*arguments).strip().splitlines()[-1]
        return self._keys[cache_key]


def score_here(env: Mapping[str, str], *arguments: str) -> str:
    """`score ...arguments` run in this process with exactly the environment ``env``, for the
    key commands the end-to-end tests and benchmarks run often: as a process of its own each
    spends about a second of CPU importing, for one row (the suite's 21 keys were 17 s of its
    CPU). Its output; RuntimeError with that output if the command failed.

    ``env`` must give the databases the command touches by URL: run here, a command that
    started or joined an embedded server would make this process one of its holders."""
    # Imported here: typer's test runner is for this helper only, not the benchmarks' paths.
    from typer.testing import CliRunner, Result

    from services import cli

    exact = {**dict.fromkeys(os.environ), **env}  # None: unset while the command runs

    def invoke() -> Result:
        return CliRunner().invoke(cli.app, list(arguments), env=exact)

    # The command runs its own event loop (asyncio.run), which cannot start in a thread whose
    # loop is running (a benchmark's async code): there it runs in a thread of its own.
    with ThreadPoolExecutor(1) as thread:
        done = thread.submit(invoke).result()
    if done.exit_code != 0:
        raise RuntimeError(
            f"score {' '.join(arguments)} failed: {done.output}{done.exception or ''}"
        )
    return done.output


@cache
def _prober() -> httpx.Client:
    # One client for every probe: making one (its SSL context) costs about 20 ms of CPU, a
    # hundred times the probe, and the platform starting shares the machine with the prober.
    # No connection kept: each probe reaches the process as a new caller would.
    return httpx.Client(timeout=2, limits=httpx.Limits(max_keepalive_connections=0))


def answers(url: str) -> bool:
    """``url`` answers 200 (a connection refused, broken or timed out is a no)."""
    try:
        return _prober().get(url).status_code == 200
    except httpx.TransportError:
        return False


def ready(base: str) -> bool:
    return answers(f"{base}/readyz")


def wait_until(
    condition: Callable[[], bool],
    process: subprocess.Popen[bytes],
    log: Path,
    *,
    timeout: float = 180,
) -> None:
    """Poll until ``condition`` holds; fail with the platform's log if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} stopped:\n{log.read_text()}")
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError("the platform never got ready:\n" + log.read_text())


def platform_env(data_dir: Path, ports: dict[str, int], **extra_env: str) -> dict[str, str]:
    """The environment of `score` commands for a platform under ``data_dir``, every process
    on its port of ``ports``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith("SCORE_") and name.endswith(("_URL", "_SERVICES")))
    }
    env |= {
        "SCORE_DATA_DIR": str(data_dir),
        "SCORE_ENVIRONMENT": "development",
    }
    env |= {f"SCORE_{name.upper()}_PORT": str(port) for name, port in ports.items()}
    return env | extra_env


def _platform_on_free_ports(data_dir: Path, log: Path, extra_env: dict[str, str]) -> Platform:
    ports = {name: free_port() for name in PROCESSES}
    env = platform_env(data_dir, ports, **extra_env)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    return Platform(urls=urls, env=env, log=log, data_dir=data_dir)


def prepare_platform(data_dir: Path, **extra_env: str) -> Platform:
    """Where each process of a platform under ``data_dir`` will listen (free ports, so nothing
    meets a platform already running) and the environment `score` runs with; nothing started."""
    return _platform_on_free_ports(data_dir, data_dir / "up.log", extra_env)


def _seed(platform: Platform) -> None:
    seeded = platform.score("seed", "--demo")
    if seeded.returncode != 0:
        raise RuntimeError(f"score seed --demo failed: {seeded.stdout}{seeded.stderr}")


def seed_data_folder(data_dir: Path) -> None:
    """`score seed --demo` under ``data_dir``: a fresh embedded Postgres (initdb), every
    service's migrations and the demo data. The seed stops its Postgres cleanly as it exits,
    so the folder is then valid wherever it is copied to."""
    _seed(prepare_platform(data_dir))
    if (data_dir / "pgdata" / "postmaster.pid").exists():
        raise RuntimeError(f"the seeded Postgres under {data_dir} did not stop")


# What a copy of a seeded data folder leaves out: the development keys (each platform makes
# its own, as a fresh one does) and, in the Postgres cluster, the server's log and pgserver's
# list of the processes holding the server (a copy starts with no holder).
NOT_COPIED = {Path("keys"), Path("pgdata/log"), Path("pgdata/.handle_pids.json")}
# Nor the server's socket and its lock file: Postgres may remove them just after its pid file
# when it stops (a busy machine has copies meet that moment; copying a socket fails), and a
# server makes its own as it starts.
POSTGRES_SOCKET_FILES = ".s.PGSQL."


def copy_data_folder(seeded: Path, data_dir: Path) -> None:
    """``data_dir`` as a copy of the data folder ``seeded`` (`seed_data_folder`, not started
    since), each file and folder with its owner: under root, pgserver runs Postgres as a user
    of its own, which must own its cluster."""
    as_root = os.geteuid() == 0

    def not_copied(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(seeded)
        return {
            name
            for name in names
            if relative / name in NOT_COPIED or name.startswith(POSTGRES_SOCKET_FILES)
        }

    def copy_file(source: str, target: str) -> None:
        shutil.copy2(source, target)
        if as_root:
            _same_owner(Path(source), Path(target))

    shutil.copytree(
        seeded, data_dir, symlinks=True, ignore=not_copied, dirs_exist_ok=True,
        copy_function=copy_file,
    )  # fmt: skip
    if as_root:
        for directory, _, _ in os.walk(seeded):
            relative = Path(directory).relative_to(seeded)
            if relative != Path() and (data_dir / relative).exists():
                _same_owner(Path(directory), data_dir / relative)


def _same_owner(source: Path, target: Path) -> None:
    owner = source.lstat()
    os.lchown(target, owner.st_uid, owner.st_gid)


def save_template(seeded: Path, template: Path) -> None:
    """``template`` as a copy of the data folder ``seeded``, for platforms to start from; it
    appears whole or not at all (copied beside it, then renamed)."""
    copying = template.with_name(f"{template.name}.copying")
    shutil.rmtree(copying, ignore_errors=True)
    copy_data_folder(seeded, copying)
    copying.rename(template)


@contextmanager
def running_platform(data_dir: Path, **extra_env: str) -> Iterator[Platform]:
    """`score seed --demo` and `score up` under ``data_dir``; stopped (SIGTERM) on exit."""
    platform = _platform_on_free_ports(data_dir, data_dir / "up.log", extra_env)
    _seed(platform)
    with _up(platform):
        yield platform


@contextmanager
def running_seeded_platform(data_dir: Path, **extra_env: str) -> Iterator[Platform]:
    """`score up` under ``data_dir``, which holds the demo data already: seeded there
    (`seed_data_folder`), or a copy of a folder seeded once (`copy_data_folder`), which spares
    the seed's initdb and migrations; stopped (SIGTERM) on exit."""
    platform = _platform_on_free_ports(data_dir, data_dir / "up.log", extra_env)
    with _up(platform):
        yield platform


@contextmanager
def _up(platform: Platform) -> Iterator[None]:
    with platform.log.open("w") as output:
        # Its own process group, so a `score up` that does not stop in time is killed with
        # its services and not left behind as orphans holding ports and data folders.
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up"],
            env=platform.env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        platform.process_id = process.pid
        try:
            for name in PROCESSES:
                wait_until(partial(ready, platform.urls[name]), process, platform.log)
            yield
        finally:
            platform.process_id = None
            # SIGTERM, not SIGINT: a shell running this in the background starts its children
            # with SIGINT ignored, and `score up` stops the same way on either.
            process.send_signal(signal.SIGTERM)
            stop_process_group(process)


@dataclass(frozen=True)
class Served:
    """A benchmark's own server process (not part of the platform)."""

    url: str
    pid: int


@contextmanager
def running_app(
    platform: Platform, target: str, *, factory: bool = False, **extra_env: str
) -> Iterator[Served]:
    """``target`` ("module:app") as its own uvicorn process, started the way `score up` starts
    a service, with the platform's environment; its log beside the platform's; stopped on
    exit."""
    port = free_port()
    name = target.rpartition(".")[2].partition(":")[0]
    log = platform.log.with_name(f"{name}.log")
    command = [
        sys.executable, "-m", "uvicorn", target, *(["--factory"] if factory else []),
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    with log.open("w") as output:
        env = {**platform.env, **extra_env}
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(partial(ready, url), process, log, timeout=60)
            yield Served(url, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


def stop_process_group(process: "subprocess.Popen[bytes]", *, timeout: float = 90) -> None:
    """Wait for a process started in its own session to stop after a signal; past
    ``timeout``, kill its whole group (a service it started included) and say so."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 on (the command name may hold spaces)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()


def _children(parent: int) -> dict[int, str]:
    """The processes ``parent`` started, with their command lines (Linux /proc)."""
    children: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat_fields(int(entry.name))[1]) == parent:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                children[int(entry.name)] = command.decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return children


def service_pids(platform: Platform) -> dict[str, int]:
    """The process serving each service of a running platform, read from /proc (Linux);
    empty where there is no /proc."""
    if platform.process_id is None or not Path("/proc").is_dir():
        return {}
    factories = {service.process_factory: service.name for service in SERVICES}
    return {
        name: pid
        for pid, command in _children(platform.process_id).items()
        for factory, name in factories.items()
        if factory in command
    }


def postgres_pids(platform: Platform) -> list[int]:
    """The embedded Postgres server's processes (the postmaster and its backends)."""
    pid_file = Path(platform.env["SCORE_DATA_DIR"]) / "pgdata" / "postmaster.pid"
    try:
        postmaster = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    return [postmaster, *_children(postmaster)]


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far (Linux /proc); 0 once gone."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    # utime and stime: fields 14 and 15 of stat, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def eventually(condition: Callable[[], bool], *, timeout: float = 30) -> bool:
    """Poll a condition that other processes make true (a consumer catching up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@dataclass
class Processes:
    """The platform as one `score serve` process each, as a deployment runs it: any one can
    be killed and started again while the others run on."""

    platform: Platform
    logs: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env_for(self, name: str) -> dict[str, str]:
        urls = self.platform.urls
        peers = {
            # Where each service reads the others' event feeds, and what the gateway fronts.
            f"SCORE_{name.upper()}_{other.upper()}_URL": url
            for other, url in urls.items()
            if other not in (name, "gateway")
        }
        peers["SCORE_GATEWAY_SERVICES"] = json.dumps(
            {other: url for other, url in urls.items() if other != "gateway"}
        )
        return {**peers, **self.platform.env}

    def start(self, name: str) -> None:
        """Start ``name`` and wait for it to answer its readiness probe."""
        output = (self.logs / f"{name}.log").open("a")
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", name],
            env=self.env_for(name), stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        output.close()
        self.running[name] = process
        wait_until(partial(ready, self.platform.urls[name]), process, self.logs / f"{name}.log")

    def kill(self, name: str) -> None:
        """Kill ``name`` the hard way (SIGKILL: no graceful shutdown), as a crash would."""
        process = self.running.pop(name)
        process.kill()
        process.wait(timeout=30)

    def terminate(self, name: str, *, timeout: float = 120) -> int:
        """Stop ``name`` as a container is stopped (SIGTERM); its exit status. Raises
        ``subprocess.TimeoutExpired`` (and kills it) if it is still running after ``timeout``."""
        process = self.running.pop(name)
        process.terminate()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise

    def stop(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.running.clear()


@contextmanager
def separate_processes(
    data_dir: Path, *, template: Path | None = None, **extra_env: str
) -> Iterator[Processes]:
    """`score seed --demo` (or a copy of ``template``, a seeded data folder: see
    `copy_data_folder`), then every process with `score serve`; stopped on exit.

    The embedded Postgres is this process's, and the others reach it by URL, as services
    reach a database server in production: a service killed outright then leaves the
    server's bookkeeping of who uses it alone.
    """
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    if template is not None:
        copy_data_folder(template, data_dir)
    socket_dir = start_embedded_server(pgdata)
    databases = {
        f"SCORE_{name.upper()}_DATABASE_URL": embedded_url(socket_dir, name) for name in PROCESSES
    }
    platform = _platform_on_free_ports(data_dir, logs / "seed.log", databases | extra_env)
    if template is None:
        _seed(platform)
    processes = Processes(platform, logs)
    try:
        for name in ("enrolment", "indicators", "reporting", "gateway"):
            processes.start(name)
        yield processes
    finally:
        processes.stop()
        stop_embedded_server(pgdata)
