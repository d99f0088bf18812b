"""The README's first command, for real: `score seed --demo` then `score up` as processes,
on a fresh embedded Postgres, then the demo data read back over HTTP."""

import httpx

from benchmarks.processes import Platform, eventually, service_pids
from services.registry import SERVICES
from shared.enums import Role
from shared.identity import Principal
from tests.e2e.conftest import GRACEFUL_SHUTDOWN_SECONDS


def ilo_headers(platform: Platform) -> dict[str, str]:
    return platform.identity_headers(Principal(subject="e2e", role=Role.ilo_global))


def test_score_up_serves_the_demo_data(platform: Platform) -> None:
    enterprises = httpx.get(
        f"{platform.enrolment}/enterprises?limit=500", headers=ilo_headers(platform)
    ).json()
    countries = {e["country"] for e in enterprises["items"]}
    assert {"PK", "GH", "MU"} <= countries
    organisations = httpx.get(
        f"{platform.enrolment}/organisations", headers=ilo_headers(platform)
    ).json()
    names = {o["short_name"] for o in organisations["items"]}
    assert {"EFP", "MDPI", "NPCC"} <= names


def test_score_up_refuses_requests_without_a_token(platform: Platform) -> None:
    for url in (f"{platform.enrolment}/enterprises", f"{platform.indicators}/replica/status"):
        response = httpx.get(url)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


def test_indicators_replicates_enrolment_over_real_http(platform: Platform) -> None:
    """The indicators process consumes the enrolment process's feed until it has caught up."""

    def caught_up() -> bool:
        response = httpx.get(f"{platform.indicators}/replica/status", headers=ilo_headers(platform))
        if response.status_code != 200:
            return False
        status = response.json()
        return bool(status["position"] > 0 and status["lag"] == 0)

    assert eventually(caught_up, timeout=60)


def test_score_up_loads_the_standard_indicator_set(platform: Platform) -> None:
    response = httpx.get(
        f"{platform.indicators}/indicators?limit=500", headers=ilo_headers(platform)
    )
    assert response.status_code == 200, response.text
    kinds = [indicator["kind"] for indicator in response.json()["items"]]
    assert sum(kind == "yes_no" for kind in kinds) >= 8
    assert sum(kind != "yes_no" for kind in kinds) >= 12


def test_demo_indicator_values_are_served(platform: Platform) -> None:
    response = httpx.get(
        f"{platform.indicators}/values",
        params={"indicator_code": "five_s_audit_score", "status": "validated", "limit": 100},
        headers=ilo_headers(platform),
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 6  # three enterprises, baseline and endline


def test_each_process_runs_its_serving_factory(platform: Platform) -> None:
    """`score up` starts every process through services/serving.py (the collector tuned for
    a long-lived process), and the benchmarks find each one to measure its CPU time."""
    pids = service_pids(platform)
    assert set(pids) == {service.name for service in SERVICES}
    for service in SERVICES:
        with open(f"/proc/{pids[service.name]}/cmdline", "rb") as cmdline:
            assert service.process_factory.encode() in cmdline.read().split(b"\0")


def test_score_up_bounds_each_process_graceful_stop_as_configured(platform: Platform) -> None:
    """SCORE_GRACEFUL_SHUTDOWN_SECONDS (set by this platform's fixture) reaches every
    process `score up` starts, as it does `score serve`'s."""
    for service, pid in service_pids(platform).items():
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            arguments = cmdline.read().decode().split("\0")
        given = arguments[arguments.index("--timeout-graceful-shutdown") + 1]
        assert given == str(GRACEFUL_SHUTDOWN_SECONDS), (service, arguments)
