"""The whole SCORE journey through the gateway only, as partner systems call it, with keys an
operator made: a call with the 2018 Pakistan criteria, applications (one ineligible, with
its explanation), shortlisting, assessment, consent, Level 1, a cohort with participants and
sessions, baseline and endline values entered by the partner and validated by the project's
manager (four eyes), the defect rate derived from defects and pieces checked, then the
partner's impact report and the lead buyer's supplier status - and what a non-consenting
supplier and another partner's keys may not see."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from benchmarks.processes import Platform, eventually
from tests.enrolment.assessments_support import assessment_body

PRESET = (
    Path(__file__).resolve().parents[2]
    / "services" / "enrolment" / "calls" / "presets" / "pakistan_2018.json"
)  # fmt: skip
DECLARED = {
    "willing_to_share_order_status": True,
    "willing_to_share_baseline_data": True,
    "ceo_attends_workshops": True,
}
# Defective pieces (lower is better) at baseline and endline; the sixth has no endline.
BASELINE = [100, 80, 50, 40, 20, 10]
ENDLINE = [50, 60, 50, 50, 10, None]
# Relative changes of the five pairs: -50, -25, 0, +25, -50 %: three improved, median -25 %.
PIECES_BASELINE = [1000, 1000, 1000, 1000, 1000, 1000]
PIECES_ENDLINE = [1000, 1000, 2000, 1000, 1000, None]
# The derived defect rate (% of pieces checked): 10 -> 5, 8 -> 6, 5 -> 2.5, 4 -> 5, 2 -> 1:
# relative changes -50, -25, -50, +25, -50 %: four improved, median -50 %.


class Client:
    """One partner system: the gateway, its key, and nothing else."""

    def __init__(self, platform: Platform, key: str) -> None:
        self.http = httpx.Client(base_url=platform.gateway, headers={"X-API-Key": key}, timeout=60)

    def call(self, method: str, path: str, expected: int = 200, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code == expected, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def post(self, path: str, body: Any = None, expected: int = 201) -> Any:
        return self.call("POST", path, expected, json=body)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params)


def factory(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Journey Knitwear {uuid4().hex[:8]}",
        "country": "PK",
        "city": "Karachi",
        "sector": "textile",
        "sub_sector": "ready_made_garments",
        "workforce_total": 450,
        "workforce_permanent": 300,
        "workforce_female": 200,
        "workforce_male": 250,
        "has_hr_officer": True,
        "has_compliance_officer": True,
        "has_industrial_engineer": True,
    }
    return body | overrides


@dataclass
class Journey:
    efp: Client
    manager: Client
    buyer: Client
    other_partner: Client
    project_id: str
    enterprise_ids: list[str]
    ineligible: dict[str, Any]
    silent_id: str  # enrolled, supplies the buyer, never consented to share


@pytest.fixture(scope="module")
def journey(platform: Platform) -> Journey:
    ilo = Client(platform, platform.api_key("ilo_global", name="journey-ilo"))
    suffix = uuid4().hex[:6]
    efp_id = ilo.post(
        "/enrolment/organisations",
        {"name": f"EFP journey {suffix}", "kind": "implementation_partner", "country": "PK"},
    )["id"]
    other_id = ilo.post(
        "/enrolment/organisations",
        {"name": f"MDPI journey {suffix}", "kind": "implementation_partner", "country": "GH"},
    )["id"]
    buyer_id = ilo.post(
        "/enrolment/organisations",
        {"name": f"Buyer journey {suffix}", "kind": "lead_buyer", "country": "ES"},
    )["id"]
    project_id = ilo.post(
        "/enrolment/projects",
        {"name": f"ILES journey {suffix}", "country": "PK", "partner_ids": [efp_id]},
    )["id"]
    efp = Client(platform, platform.api_key("partner_staff", org=efp_id, name="journey-efp"))
    manager = Client(
        platform,
        platform.api_key("programme_manager", project=project_id, name="journey-manager"),
    )

    # EFP opens a call with the 2018 criteria; seven enterprises apply, one too small.
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    call = efp.post(
        "/enrolment/calls",
        {
            "project_id": project_id,
            "title": "SCORE Pakistan 2018 call",
            "deadline": deadline,
            "capacity": 10,
            "criteria": json.loads(PRESET.read_text())["criteria"],
        },
    )
    applicants = [
        efp.post("/enrolment/enterprises", factory(buyer_ids=[buyer_id]))["id"] for _ in range(7)
    ]
    too_small = factory(
        workforce_total=40, workforce_permanent=30, workforce_female=10, workforce_male=30
    )
    small = efp.post("/enrolment/enterprises", too_small)
    applications = {
        enterprise_id: efp.post(
            f"/enrolment/calls/{call['id']}/applications",
            {"enterprise_id": enterprise_id, "answers": DECLARED},
        )
        for enterprise_id in [*applicants, small["id"]]
    }
    shortlist = efp.post(f"/enrolment/calls/{call['id']}/shortlist", {}, expected=200)
    shortlisted = {e["application_id"] for e in shortlist["entries"] if e["shortlisted"]}
    assert shortlisted == {applications[e]["id"] for e in applicants}

    # Assessed, consent to the programme signed, Level 1; six share with the buyer.
    for enterprise_id in applicants:
        (enrolment,) = efp.get(
            "/enrolment/enrolments", enterprise_id=enterprise_id, project_id=project_id
        )["items"]
        # The assessments move the enrolment to their stages.
        for kind in ("initial", "baseline"):
            efp.post(f"/enrolment/enrolments/{enrolment['id']}/assessments", assessment_body(kind))
        for stage in ("consent_signed", "level1"):
            body: dict[str, Any] = {"to_stage": stage}
            if stage == "consent_signed":
                body["consent_form_reference"] = "consent-2018.pdf"
            efp.post(f"/enrolment/enrolments/{enrolment['id']}/transitions", body, expected=200)
    for enterprise_id in applicants[:6]:
        efp.post(f"/enrolment/enterprises/{enterprise_id}/consents", {"buyer_id": buyer_id})

    # A Workplace Cooperation cohort with participants and two classroom days.
    cohort = efp.post(
        "/enrolment/cohorts",
        {
            "project_id": project_id,
            "module_code": "workplace_cooperation",
            "name": "Karachi journey batch",
            "start_date": "2019-02-04",
            "end_date": "2019-05-31",
            "enterprise_ids": applicants[:6],
        },
    )
    for enterprise_id in applicants[:6]:
        for role, sex in (("manager", "female"), ("worker", "male")):
            efp.post(
                f"/enrolment/cohorts/{cohort['id']}/participants",
                {"enterprise_id": enterprise_id, "name": f"{role} {sex}", "role": role, "sex": sex},
            )
    for day, held in ((1, "2019-02-04"), (2, "2019-02-05")):
        efp.post(
            f"/enrolment/cohorts/{cohort['id']}/sessions", {"day_number": day, "held_on": held}
        )
    for enterprise_id in applicants[:6]:
        efp.call(
            "PUT",
            f"/enrolment/cohorts/{cohort['id']}/progress/{enterprise_id}",
            json={"status": "completed", "completed_on": "2019-05-30"},
        )

    # Baseline and endline defects and pieces checked, entered by the partner once the
    # indicators service has heard of the enterprises, validated by the project's manager.
    rounds = {
        kind: efp.post(
            "/indicators/rounds",
            {
                "project_id": project_id,
                "kind": kind,
                "name": f"{kind} 2019",
                "starts_on": starts,
                "ends_on": ends,
            },
        )["id"]
        for kind, starts, ends in (
            ("baseline", "2019-01-01", "2019-01-31"),
            ("endline", "2019-12-01", "2019-12-31"),
        )
    }
    values = [
        {
            "enterprise_id": enterprise_id,
            "indicator_code": code,
            "value": amount,
            "round_id": rounds[kind],
        }
        for code, kind, amounts in (
            ("defects", "baseline", BASELINE),
            ("defects", "endline", ENDLINE),
            ("pieces_checked", "baseline", PIECES_BASELINE),
            ("pieces_checked", "endline", PIECES_ENDLINE),
        )
        for enterprise_id, amount in zip(applicants[:6], amounts, strict=True)
        if amount is not None
    ]

    def accepted() -> bool:
        response = efp.http.post(
            "/indicators/values/batches", json={"values": values, "submit": True}
        )
        if response.status_code != 201:
            return False
        ids = [row["value_id"] for row in response.json()["results"]]
        # Four eyes: the partner who entered them may not validate them.
        refused = efp.http.post("/indicators/values/validate", json={"value_ids": ids})
        assert refused.status_code == 403, refused.text
        assert {e["rule"] for e in refused.json()["errors"]} == {"four_eyes"}
        manager.post("/indicators/values/validate", {"value_ids": ids}, expected=200)
        return True

    assert eventually(accepted, timeout=60)
    return Journey(
        efp=efp,
        manager=manager,
        buyer=Client(platform, platform.api_key("lead_buyer", org=buyer_id, name="journey-buyer")),
        other_partner=Client(
            platform, platform.api_key("partner_staff", org=other_id, name="journey-mdpi")
        ),
        project_id=project_id,
        enterprise_ids=applicants[:6],
        ineligible=applications[small["id"]],
        silent_id=applicants[6],
    )


def test_the_ineligible_applicant_is_told_why(journey: Journey) -> None:
    application = journey.ineligible
    assert application["outcome"] == "ineligible"
    (size,) = [r for r in application["evaluation"] if r["key"] == "workforce_size"]
    assert size["outcome"] == "failed"
    assert size["observed"] == 40
    assert "300" in size["explanation"]


def test_the_partners_impact_report_shows_the_expected_figures(journey: Journey) -> None:
    def impact() -> dict[str, Any] | None:
        report = journey.efp.get(
            "/reporting/impact", project=journey.project_id, indicator="defects"
        )
        rows = [row for row in report["rows"] if row["indicator"] == "defects"]
        return rows[0] if rows and rows[0]["n"] == 5 else None

    assert eventually(lambda: impact() is not None, timeout=60)
    row = impact()
    assert row is not None
    assert row["improved"] == 3
    assert row["improved_pct"] == 60.0
    assert row["median_change_pct"] == -25.0


def test_the_defect_rate_derived_from_defects_and_pieces_checked_reaches_the_impact_report(
    journey: Journey,
) -> None:
    def rate() -> dict[str, Any] | None:
        report = journey.efp.get(
            "/reporting/impact", project=journey.project_id, indicator="defect_rate"
        )
        rows = [row for row in report["rows"] if row["indicator"] == "defect_rate"]
        return rows[0] if rows and rows[0]["n"] == 5 else None

    assert eventually(lambda: rate() is not None, timeout=60)
    row = rate()
    assert row is not None
    assert (row["improved"], row["improved_pct"], row["median_change_pct"]) == (4, 80.0, -50.0)
    # The figure traces back to the values behind it: derived, with their lineage.
    pairs = journey.efp.get(
        "/reporting/impact/pairs", project=journey.project_id, indicator="defect_rate"
    )
    assert (pairs["n"], pairs["improved"]) == (5, 4)
    endline = journey.efp.get(f"/indicators/values/{pairs['pairs'][0]['endline']['value_id']}")
    assert endline["derived"] is True
    assert {i["indicator_code"] for i in endline["lineage"]["inputs"]} == {
        "defects",
        "pieces_checked",
    }


def test_the_buyer_sees_its_consenting_suppliers_and_not_the_silent_one(
    journey: Journey,
) -> None:
    def suppliers() -> set[str]:
        page = journey.buyer.get("/reporting/suppliers", limit=100)
        return {item["enterprise_id"] for item in page["items"]}

    assert eventually(lambda: suppliers() == set(journey.enterprise_ids), timeout=60)
    status = journey.buyer.get(f"/reporting/suppliers/{journey.enterprise_ids[0]}")
    (project,) = status["projects"]
    assert project["stage"] == "level1"
    assert [m["module_code"] for m in status["modules_completed"]] == ["workplace_cooperation"]
    (defects,) = [c for c in status["indicator_changes"] if c["indicator_code"] == "defects"]
    assert (float(defects["baseline"]), float(defects["endline"])) == (100.0, 50.0)
    assert float(defects["relative_change_percent"]) == -50.0
    hidden = journey.buyer.http.get(f"/reporting/suppliers/{journey.silent_id}")
    assert hidden.status_code == 404
    profile = journey.buyer.http.get(f"/enrolment/enterprises/{journey.silent_id}")
    assert profile.status_code == 404


def test_another_partner_sees_none_of_it(journey: Journey) -> None:
    for enterprise_id in [*journey.enterprise_ids, journey.silent_id]:
        for path in (
            f"/enrolment/enterprises/{enterprise_id}",
            f"/reporting/suppliers/{enterprise_id}",
        ):
            assert journey.other_partner.http.get(path).status_code == 404
    report = journey.other_partner.get("/reporting/impact", indicator="defects")
    assert all(row["n"] in (0, None) for row in report["rows"])
    listed = journey.other_partner.get("/enrolment/enterprises", limit=500)["items"]
    assert not {item["id"] for item in listed} & set(journey.enterprise_ids)


def test_values_dated_in_the_future_are_refused_through_the_gateway(journey: Journey) -> None:
    future = (date.today() + timedelta(days=60)).replace(day=1).isoformat()
    response = journey.efp.http.post(
        "/indicators/values/batches",
        json={
            "values": [
                {
                    "enterprise_id": journey.enterprise_ids[0],
                    "indicator_code": "defects",
                    "value": 5,
                    "month": future,
                }
            ]
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
