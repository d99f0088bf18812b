"""Through the gateway only, with API keys made by `score keys create`: one GraphQL query
across enrolment and indicators, REST routing, tenancy, and the GraphQL-over-HTTP audit."""

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx

from benchmarks.processes import Platform, eventually
from shared.enums import Role
from shared.identity import Principal
from tests.node_packages import installed

AUDIT = Path(__file__).resolve().parents[1] / "gateway" / "graph" / "audit"

PROFILES_WITH_VALUES = """
query Karachi($first: Int!) {
  enterprises(first: $first) {
    items {
      id name country
      enrolments { stage }
      indicatorValues(indicatorCode: "five_s_audit_score", status: "validated") {
        indicatorCode value
      }
    }
  }
}"""


def graphql(platform: Platform, key: str, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(
        f"{platform.gateway}/graphql",
        json={"query": query, "variables": variables},
        headers={"X-API-Key": key, "X-Graph-Trace": "1"},
        timeout=30,
    )


def test_one_query_reads_profiles_stages_and_values_with_one_entities_call(
    platform: Platform,
) -> None:
    key = platform.api_key("ilo_global", scopes=("read", "admin"), name="e2e-analyst")
    response = graphql(platform, key, PROFILES_WITH_VALUES, first=100)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    items = body["data"]["enterprises"]["items"]
    assert len(items) > 3
    measured = [item for item in items if item["indicatorValues"]]
    # The demo's Karachi batch: three enterprises with a validated baseline and endline.
    assert len(measured) == 3
    for item in measured:
        assert item["enrolments"]
        assert {value["indicatorCode"] for value in item["indicatorValues"]} == {
            "five_s_audit_score"
        }
        assert len(item["indicatorValues"]) == 2
    fetches = body["extensions"]["gateway"]["fetches"]
    entity_calls = [f for f in fetches if f["service"] == "indicators" and f["kind"] == "entities"]
    assert len(entity_calls) == 1, fetches
    assert entity_calls[0]["representations"] == len(items)


def test_rest_is_routed_by_service_prefix_under_the_keys_tenancy(platform: Platform) -> None:
    analyst = platform.api_key("ilo_global", name="e2e-rest")
    organisations = httpx.get(
        f"{platform.gateway}/enrolment/organisations?limit=100",
        headers={"Authorization": f"Bearer {analyst}"},
    ).json()["items"]
    efp = next(o for o in organisations if o["short_name"] == "EFP")
    partner = platform.api_key("partner_staff", org=efp["id"], name="e2e-efp")
    seen = httpx.get(
        f"{platform.gateway}/enrolment/enterprises?limit=500", headers={"X-API-Key": partner}
    )
    assert seen.status_code == 200, seen.text
    assert seen.headers["x-request-id"]
    partners = {item["partner_id"] for item in seen.json()["items"]}
    assert partners == {efp["id"]}
    everything = httpx.get(
        f"{platform.gateway}/enrolment/enterprises?limit=500", headers={"X-API-Key": analyst}
    ).json()["items"]
    assert len(everything) > len(seen.json()["items"])


async def test_a_key_is_made_from_async_code_as_the_benchmarks_make_theirs(
    platform: Platform,
) -> None:
    # `score keys create` runs its own event loop: made here, in a running one, it must not
    # try to start it in this thread (benchmarks.processes.score_here).
    key = platform.api_key("ilo_global", name="e2e-from-async")
    async with httpx.AsyncClient() as client:
        answer = await client.get(
            f"{platform.gateway}/enrolment/organisations", headers={"X-API-Key": key}
        )
    assert answer.status_code == 200


# GET answers whose bytes do not change between two asks: the services' lists, a streamed
# CSV export, the gateway's own probe and merged OpenAPI document.
STABLE_GETS = (
    "/enrolment/enterprises?limit=20",
    "/indicators/indicators",
    "/reporting/exports/impact.csv",
    "/healthz",
    "/openapi.json",
)


def test_head_answers_what_get_would_without_the_body(platform: Platform) -> None:
    """HEAD wherever GET (RFC 9110): an uptime monitor's probe, or a partner's system
    checking an export before fetching it. FastAPI alone refused it as 405. The gateway asks
    the service for the GET; a service asked directly answers HEAD the same way."""
    key = platform.api_key("ilo_global", name="e2e-head")
    direct = platform.identity_headers(Principal(subject="e2e", role=Role.ilo_global))
    asks = [
        *((platform.gateway, path, {"X-API-Key": key}) for path in STABLE_GETS),
        (platform.enrolment, "/enterprises?limit=20", direct),
    ]
    with httpx.Client(timeout=60) as http:
        for index, (base, path, headers) in enumerate(asks):
            got = http.get(base + path, headers=headers)
            head = http.head(base + path, headers={**headers, "X-Request-ID": f"e2e-head-{index}"})
            assert (head.status_code, got.status_code) == (200, 200), (path, head.text)
            assert head.content == b"", path
            for name in ("content-type", "content-length", "content-disposition"):
                assert head.headers.get(name) == got.headers.get(name), (path, name)

    # Logged and counted as the HEAD it was, under its route (the last lines may still be
    # on their way through `score up`'s output).
    def logged() -> list[dict[str, Any]]:
        return [
            json.loads(line.partition(" | ")[2])
            for line in platform.log.read_text(errors="replace").splitlines()
            if '"request_id": "e2e-head-' in line and '"status": 200' in line
        ]

    def heads() -> set[tuple[str, str, str]]:
        return {
            (entry["service"], entry["path"], entry.get("route", ""))
            for entry in logged()
            if entry["method"] == "HEAD"
        }

    expected = {
        ("gateway", "/enrolment/enterprises", ""),
        ("enrolment", "/enterprises", "/enterprises"),
    }
    assert eventually(lambda: heads() >= expected, timeout=60), logged()


def test_a_method_not_allowed_names_every_method_the_path_answers(platform: Platform) -> None:
    """405 lists them all in Allow (RFC 9110), not only those of the first route found at
    the path: ``GET /enterprises`` and ``POST /enterprises`` are two routes."""
    key = platform.api_key("ilo_global", scopes=("read", "write"), name="e2e-allow")
    with httpx.Client(base_url=platform.gateway, headers={"X-API-Key": key}, timeout=60) as http:
        for method, path, allowed in (
            ("DELETE", "/enrolment/enterprises", "GET, HEAD, POST"),
            # Methods the gateway's proxy route does not name: the service's Allow all the
            # same, not the route's (which listed OPTIONS, PUT ... at every path).
            ("TRACE", "/enrolment/enterprises", "GET, HEAD, POST"),
            ("PROPFIND", "/indicators/indicators", "GET, HEAD, POST"),
            ("HEAD", "/enrolment/projects/x/nothing", None),
            ("POST", "/healthz", "GET, HEAD"),
        ):
            answer = http.request(method, path)
            if allowed is None:
                assert answer.status_code == 404, (method, path, answer.text)
                continue
            assert answer.status_code == 405, (method, path, answer.text)
            assert answer.headers["Allow"] == allowed, (method, path)
            assert answer.json()["title"] == "Method not allowed"


def test_a_revoked_key_is_refused(platform: Platform) -> None:
    key = platform.api_key("ilo_global", name="e2e-to-revoke")
    url = f"{platform.gateway}/enrolment/organisations"
    assert httpx.get(url, headers={"X-API-Key": key}).status_code == 200
    prefix = "_".join(key.split("_")[:2])  # score_<public prefix>_<secret, may hold "_">
    revoked = platform.score("keys", "revoke", prefix, "--reason", "e2e")
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr

    def refused() -> bool:
        return httpx.get(url, headers={"X-API-Key": key}).status_code == 401

    assert eventually(refused, timeout=30)


def test_the_graphql_over_http_audit_passes_against_the_live_gateway(platform: Platform) -> None:
    node = installed(AUDIT, "graphql-http")
    # The audits introspect (__type), which needs the admin scope.
    key = platform.api_key("ilo_global", scopes=("read", "admin"), name="e2e-audit")
    env = {"PATH": str(Path(node).parent), "GRAPHQL_AUDIT_HEADERS": json.dumps({"X-API-Key": key})}
    completed = subprocess.run(
        [node, str(AUDIT / "audit.mjs"), f"{platform.gateway}/graphql"],
        env=env, cwd=AUDIT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 errors" in completed.stdout
