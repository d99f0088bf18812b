"""The side doors of the tenancy probe, tried for real: through the gateway only, with keys
made by `score keys create`, on the demo data (the tenancy matrix covers every route
in-process; this is its pass over real processes and real HTTP)."""

from typing import Any
from uuid import uuid4

import httpx

from benchmarks.processes import Platform, eventually
from shared.enums import Role
from shared.identity import Principal
from shared.keys import development_key, key_id
from shared.settings import IDENTITY_KEY_NAME


class Caller:
    def __init__(self, platform: Platform, key: str) -> None:
        self.base = platform.gateway
        self.headers = {"X-API-Key": key}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", params=params, headers=self.headers, timeout=30)

    def post(self, path: str, body: Any) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=30)

    def patch(self, path: str, body: Any) -> httpx.Response:
        return httpx.patch(f"{self.base}{path}", json=body, headers=self.headers, timeout=30)

    def json(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()


def ilo(platform: Platform) -> Caller:
    return Caller(
        platform, platform.api_key("ilo_global", scopes=("read", "write"), name="e2e-ilo")
    )


def staff(platform: Platform, organisation_id: str, name: str) -> Caller:
    key = platform.api_key(
        "partner_staff", org=organisation_id, scopes=("read", "write"), name=name
    )
    return Caller(platform, key)


def by_name(items: list[dict[str, Any]], field: str = "name") -> dict[str, dict[str, Any]]:
    return {item[field]: item for item in items}


def demo(platform: Platform) -> dict[str, Any]:
    analyst = ilo(platform)
    organisations = by_name(
        analyst.json("/enrolment/organisations", limit=100)["items"], "short_name"
    )
    projects = by_name(analyst.json("/enrolment/projects", limit=100)["items"])
    enterprises = by_name(analyst.json("/enrolment/enterprises", limit=500)["items"])
    return {"orgs": organisations, "projects": projects, "enterprises": enterprises}


def test_another_projects_rounds_are_as_absent_as_a_random_id(platform: Platform) -> None:
    world = demo(platform)
    pakistan = world["projects"]["ILES Pakistan"]["id"]
    [baseline, *_] = ilo(platform).json("/indicators/rounds", project_id=pakistan)["items"]
    mdpi = staff(platform, world["orgs"]["MDPI"]["id"], "e2e-mdpi")
    listed = mdpi.json("/indicators/rounds", limit=500)["items"]
    assert pakistan not in {item["project_id"] for item in listed}
    for path in (f"/indicators/rounds/{baseline['id']}", f"/indicators/rounds/{uuid4()}"):
        assert mdpi.get(path).status_code == 404
    for round_id in (baseline["id"], str(uuid4())):
        assert mdpi.get("/indicators/imports/template", round_id=round_id).status_code == 404


def test_a_buyer_sees_itself_only_among_its_suppliers_buyers(platform: Platform) -> None:
    world = demo(platform)
    inditex_id = world["orgs"]["Inditex"]["id"]
    korangi = world["enterprises"]["Korangi Apparel Industries"]
    # Korangi supplies (and shares with) both Inditex and Adidas.
    assert set(korangi["buyer_ids"]) == {inditex_id, world["orgs"]["Adidas"]["id"]}
    inditex = Caller(platform, platform.api_key("lead_buyer", org=inditex_id, name="e2e-inditex"))
    seen = inditex.json(f"/enrolment/enterprises/{korangi['id']}")
    assert seen["buyer_ids"] == [inditex_id]
    consents = inditex.json(f"/enrolment/enterprises/{korangi['id']}/consents")["items"]
    assert {consent["buyer_id"] for consent in consents} == {inditex_id}


def test_an_enterprise_user_sees_itself_not_its_cohort_mates(platform: Platform) -> None:
    world = demo(platform)
    indus = world["enterprises"]["Indus Knitwear (Pvt) Ltd"]["id"]
    cohorts = ilo(platform).json("/enrolment/cohorts", limit=500)["items"]
    # The demo's Karachi batch: Indus and three cohort mates.
    cohort = next(c for c in cohorts if indus in c["enterprise_ids"])
    assert len(cohort["enterprise_ids"]) > 1
    user = Caller(platform, platform.api_key("enterprise_user", enterprise=indus, name="e2e-indus"))
    assert user.json(f"/enrolment/cohorts/{cohort['id']}")["enterprise_ids"] == [indus]


def test_subgraphs_are_not_routed_and_refuse_whoever_is_not_the_gateway(
    platform: Platform,
) -> None:
    world = demo(platform)
    partner = Caller(
        platform, platform.api_key("partner_staff", org=world["orgs"]["EFP"]["id"], name="e2e-efp")
    )
    for service in ("enrolment", "indicators", "reporting"):
        for query in ("{ _service { sdl } }", "{ __schema { types { name } } }"):
            assert partner.get(f"/{service}/graphql", query=query).status_code == 404
        # Straight to the service with a token for its REST routes: refused too.
        direct = httpx.post(
            f"{platform.urls[service]}/graphql",
            json={"query": "{ _service { sdl } }"},
            headers=platform.identity_headers(Principal(subject="e2e", role=Role.ilo_global)),
            timeout=30,
        )
        assert direct.status_code == 401, direct.text
    # The one public graph still answers.
    answered = httpx.post(
        f"{platform.gateway}/graphql",
        json={"query": "{ enterprises(first: 5) { items { id } } }"},
        headers=partner.headers,
        timeout=30,
    )
    assert answered.status_code == 200
    assert answered.json()["data"]["enterprises"]["items"]


def test_a_burst_of_bad_keys_does_not_hold_up_a_valid_one(platform: Platform) -> None:
    valid = Caller(platform, platform.api_key("ilo_global", name="e2e-valid"))
    # One client for the burst: a client each (its TLS context built each time) cost the
    # test more CPU than the gateway spent answering.
    with httpx.Client(timeout=30) as client:
        statuses = [
            client.get(
                f"{platform.gateway}/enrolment/organisations",
                headers={"X-API-Key": f"score_{i:012x}_not-a-key"},
            ).status_code
            for i in range(150)
        ]
    # Refused, and slowed down (429) once past the burst however fast they came; the valid
    # key from the same address is served all the same.
    assert set(statuses) <= {401, 429}
    assert valid.get("/enrolment/organisations").status_code == 200


def test_identities_are_signed_with_the_gateways_published_key(platform: Platform) -> None:
    keys = httpx.get(f"{platform.gateway}/.well-known/jwks.json", timeout=30).json()["keys"]
    development = development_key(platform.data_dir, IDENTITY_KEY_NAME).public_key()
    assert [key["kid"] for key in keys] == [key_id(development)]
    assert all("d" not in key for key in keys)


def test_a_partners_enterprise_in_another_partners_project_opens_nothing_of_it(
    platform: Platform,
) -> None:
    world = demo(platform)
    analyst = ilo(platform)
    efp_id = world["orgs"]["EFP"]["id"]
    ghana = world["projects"]["SCORE Ghana Phase III"]["id"]
    efp = staff(platform, efp_id, "e2e-efp-w")
    profile = {
        "name": f"Shared Garments {uuid4().hex[:6]}",
        "country": "PK",
        "sector": "textile",
        "workforce_total": 400,
    }
    registered = efp.post("/enrolment/enterprises", profile)
    assert registered.status_code == 201, registered.text
    enrolled = analyst.post(
        "/enrolment/enrolments", {"project_id": ghana, "enterprise_id": registered.json()["id"]}
    )
    assert enrolled.status_code == 201, enrolled.text
    cost = {
        "project_id": ghana,
        "period_start": "2024-01-01",
        "period_end": "2024-01-31",
        "currency": "GHS",
        "total_cost": "100",
        "non_ilo_contribution": "40",
    }
    assert eventually(lambda: analyst.post("/reporting/costs", cost).status_code == 201)
    round_body = {
        "project_id": ghana,
        "kind": "follow_up",
        "sequence": 9,
        "name": "Follow-up",
        "starts_on": "2020-01-01",
        "ends_on": "2020-01-31",
    }

    assert efp.post("/indicators/rounds", round_body).status_code == 403
    assert efp.post("/reporting/costs", cost).status_code == 403
    assert efp.json("/reporting/costs", project=ghana)["items"] == []
    assert efp.json("/reporting/targets", project=ghana)["items"] == []
    recovery = efp.json("/reporting/reach/cost-recovery", project=ghana)
    assert recovery["rows"] == []
    assert efp.get(f"/enrolment/projects/{ghana}").status_code == 404


def test_a_duplicate_is_flagged_without_naming_another_tenants_enterprise(
    platform: Platform,
) -> None:
    world = demo(platform)
    accra = world["enterprises"]["Accra Recycling Works"]
    efp = staff(platform, world["orgs"]["EFP"]["id"], "e2e-efp-w")
    mine = efp.post(
        "/enrolment/enterprises",
        {"name": f"Lahore Tanners {uuid4().hex[:6]}", "country": "PK", "sector": "leather"},
    ).json()
    # Renamed to another tenant's enterprise: flagged, but its id stays hidden.
    renamed = efp.patch(
        f"/enrolment/enterprises/{mine['id']}", {"name": accra["name"], "country": "GH"}
    )
    assert renamed.status_code == 200, renamed.text
    flagged = renamed.json()
    assert flagged["possible_duplicate"] is True
    assert flagged["duplicate_reason"] == "same name in the same country"
    assert flagged["possible_duplicate_of_id"] is None
    assert accra["id"] not in efp.get(f"/enrolment/enterprises/{mine['id']}").text
    # The ILO sees which enterprise it likely duplicates.
    assert (
        ilo(platform).json(f"/enrolment/enterprises/{mine['id']}")["possible_duplicate_of_id"]
        == accra["id"]
    )
