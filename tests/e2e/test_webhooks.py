"""A partner system integrates through the gateway only, on real processes: it registers a
webhook with a real HTTP receiver, enrols an enterprise and submits values through GraphQL
mutations, and receives signed events it verifies; its receiver is down for a while and the
deliveries arrive later, in order. The lead buyer registers through the graph too; its
receiver gets the supplier's status (as supplierStatus shows it) while it consents, and
nothing once consent is withdrawn."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from benchmarks.processes import Platform, eventually
from tests.enrolment.assessments_support import assessment_body

PRESET = (
    Path(__file__).resolve().parents[2]
    / "services" / "enrolment" / "calls" / "presets" / "pakistan_2018.json"
)  # fmt: skip


@dataclass
class Receiver:
    """A partner's webhook receiver on a real port; the first ``failures`` requests get 503."""

    failures: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    refused: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verified(self, secret: str) -> list[dict[str, Any]]:
        with self.lock:
            received = list(self.received)
        return [Webhook(secret).verify(body, headers) for headers, body in received]


def _serve(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with receiver.lock:
                failing = receiver.refused < receiver.failures
                if failing:
                    receiver.refused += 1
                else:
                    receiver.received.append((dict(self.headers.items()), body))
            self.send_response(503 if failing else 204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/score-events"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def partner_receiver() -> Iterator[Receiver]:
    # Down for its first three deliveries: they are retried with backoff, in order.
    yield from _serve(Receiver(failures=3))


@pytest.fixture
def buyer_receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver())


class Client:
    """A partner system: the gateway and its key only."""

    def __init__(self, platform: Platform, key: str) -> None:
        self.http = httpx.Client(base_url=platform.gateway, headers={"X-API-Key": key}, timeout=60)

    def post(self, path: str, body: Any, expected: int = 201) -> Any:
        response = self.http.post(path, json=body)
        assert response.status_code == expected, f"POST {path}: {response.text}"
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, f"GET {path}: {response.text}"
        return response.json()

    def graph(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        answer = response.json()
        assert not answer.get("errors"), answer
        data: dict[str, Any] = answer["data"]
        return data


REGISTER_HOOK = """
mutation ($url: String!) {
  registerWebhook(input: {url: $url}) {
    __typename ... on WebhookRegistration { secret webhook { id } }
  }
}
"""
HOOK_LOG = """
query ($id: ID!) {
  webhookEndpoint(id: $id) { deliveries(first: 500) { eventId attemptLog { statusCode } } }
}
"""
SUPPLIER_STATUS = """
query ($id: ID!) { supplierStatus(enterpriseId: $id) { enterpriseId stages { stage } } }
"""
REGISTER = """
mutation ($input: RegisterEnterpriseInput!) {
  registerEnterprise(input: $input) { __typename ... on Enterprise { id } }
}"""
APPLY = """
mutation ($call: ID!, $input: ApplyToCallInput!) {
  applyToCall(callId: $call, input: $input) {
    __typename ... on Application { id outcome } ... on ValidationFailed { errors { field rule } }
  }
}"""
CONSENT = """
mutation ($id: ID!, $buyer: ID!) {
  giveConsent(enterpriseId: $id, input: {buyerId: $buyer}) { __typename }
}"""
WITHDRAW = """
mutation ($id: ID!, $buyer: ID!) {
  withdrawConsent(enterpriseId: $id, buyerId: $buyer, input: {reason: "Portal closed"}) {
    __typename
  }
}"""
ROUND = """
mutation ($input: CreateRoundInput!) {
  createRound(input: $input) { __typename ... on MeasurementRound { id } }
}"""
RECORD = """
mutation ($input: RecordValuesInput!) {
  recordValues(input: $input) {
    __typename ... on ValueBatchResult { accepted rows { valueId status } }
  }
}"""
STAGE = """
mutation ($id: ID!, $stage: LifecycleStage!, $reference: String) {
  changeStage(enrolmentId: $id, input: {toStage: $stage, consentFormReference: $reference}) {
    __typename
  }
}"""


def test_a_partner_system_receives_signed_events_in_order_and_the_buyer_until_withdrawal(
    platform: Platform, partner_receiver: Receiver, buyer_receiver: Receiver
) -> None:
    ilo = Client(platform, platform.api_key("ilo_global", name="webhooks-ilo"))
    suffix = uuid4().hex[:6]
    partner_id = ilo.post(
        "/enrolment/organisations",
        {"name": f"EFP hooks {suffix}", "kind": "implementation_partner", "country": "PK"},
    )["id"]
    buyer_id = ilo.post(
        "/enrolment/organisations",
        {"name": f"Buyer hooks {suffix}", "kind": "lead_buyer", "country": "ES"},
    )["id"]
    project_id = ilo.post(
        "/enrolment/projects",
        {"name": f"Hooks {suffix}", "country": "PK", "partner_ids": [partner_id]},
    )["id"]
    partner = Client(platform, platform.api_key("partner_staff", org=partner_id, name="hooks"))
    buyer = Client(platform, platform.api_key("lead_buyer", org=buyer_id, name="hooks-buyer"))

    types = ["enterprise.registered", "enrolment.stage_changed", "values.submitted"]
    hook = partner.post("/reporting/webhooks", {"url": partner_receiver.url, "event_types": types})
    # The buyer's portal registers through the graph (reporting's mutation, at the gateway).
    buyer_hook = buyer.graph(REGISTER_HOOK, url=buyer_receiver.url)["registerWebhook"]
    assert buyer_hook["__typename"] == "WebhookRegistration", buyer_hook
    buyer_hook["id"] = buyer_hook["webhook"]["id"]

    # Through GraphQL mutations only: register, enrol, consent, a round, values submitted.
    registered = partner.graph(
        REGISTER,
        input={
            "name": f"Hooks Knitwear {suffix}",
            "country": "PK",
            "city": "Karachi",
            "sector": "textile",
            "partnerId": partner_id,
            "subSector": "ready_made_garments",
            "workforceTotal": 450,
            "workforcePermanent": 300,
            "workforceFemale": 200,
            "workforceMale": 250,
            "hasHrOfficer": True,
            "hasComplianceOfficer": True,
            "hasIndustrialEngineer": True,
            "buyerIds": [buyer_id],
        },
    )["registerEnterprise"]
    assert registered["__typename"] == "Enterprise", registered
    enterprise_id = registered["id"]
    # It applies to the partner's call (the 2018 Pakistan criteria) and is shortlisted.
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    call = partner.post(
        "/enrolment/calls",
        {
            "project_id": project_id,
            "title": "Hooks call",
            "deadline": deadline,
            "capacity": 5,
            "criteria": json.loads(PRESET.read_text())["criteria"],
        },
    )
    answers = {
        "willingToShareOrderStatus": True,
        "willingToShareBaselineData": True,
        "ceoAttendsWorkshops": True,
    }
    applied = partner.graph(
        APPLY, call=call["id"], input={"enterpriseId": enterprise_id, "answers": answers}
    )["applyToCall"]
    assert applied.get("outcome") == "eligible", applied
    partner.post(f"/enrolment/calls/{call['id']}/shortlist", {}, expected=200)
    (enrolment,) = partner.get(
        "/enrolment/enrolments", enterprise_id=enterprise_id, project_id=project_id
    )["items"]
    # Assessments move the enrolment to their stages (a bare transition there is refused).
    for kind in ("initial", "baseline"):
        partner.post(f"/enrolment/enrolments/{enrolment['id']}/assessments", assessment_body(kind))
    given = partner.graph(CONSENT, id=enterprise_id, buyer=buyer_id)["giveConsent"]
    assert given["__typename"] == "Consent", given
    round_ = partner.graph(
        ROUND,
        input={
            "projectId": project_id,
            "kind": "baseline",
            "name": "Baseline",
            "startsOn": "2026-01-01",
            "endsOn": "2026-01-31",
        },
    )["createRound"]
    assert round_["__typename"] == "MeasurementRound", round_

    last_batch: list[Any] = []

    def submitted() -> bool:
        # The indicators service accepts values once it has heard of the enterprise.
        batch = partner.graph(
            RECORD,
            input={
                "values": [
                    {
                        "enterpriseId": enterprise_id,
                        "indicatorCode": "defects",
                        "roundId": round_["id"],
                        "value": "40",
                    }
                ],
                "submit": True,
            },
        )["recordValues"]
        last_batch[:] = [batch]
        return bool(batch["__typename"] == "ValueBatchResult" and batch["accepted"] == 1)

    assert eventually(submitted, timeout=120), last_batch

    # Signed, verified with the secret, in the order the partner's feed has them, although
    # the first three attempts met a receiver that was down.
    def partner_events() -> list[dict[str, Any]]:
        return [
            e
            for e in partner_receiver.verified(hook["secret"])
            if e["enterprise_id"] == enterprise_id
        ]

    def all_arrived() -> bool:
        # Each service's events reach the feed through their own consumer: on a loaded
        # machine the indicators' values.submitted can come before enrolment's last stage.
        events = partner_events()
        stages = [e["data"]["to_stage"] for e in events if e["type"] == "enrolment.stage_changed"]
        return "values.submitted" in {e["type"] for e in events} and (
            "baseline_assessment" in stages
        )

    assert eventually(all_arrived, timeout=180), partner_receiver
    assert partner_receiver.refused == 3
    received = partner_events()
    assert {e["type"] for e in received} == set(types)
    stages = [e["data"]["to_stage"] for e in received if e["type"] == "enrolment.stage_changed"]
    assert stages[-2:] == ["initial_assessment", "baseline_assessment"]
    feed = partner.get("/reporting/feed", type=types, limit=500)["events"]
    in_feed = [e["id"] for e in feed if e["enterprise_id"] == enterprise_id]
    assert [e["id"] for e in received] == in_feed
    log = partner.get(f"/reporting/webhooks/{hook['id']}/deliveries")
    first = next(d for d in log if d["event_id"] == received[0]["id"])
    assert [a["status_code"] for a in first["attempt_log"]] == [503, 503, 503, 204]
    graph_log = partner.graph(HOOK_LOG, id=hook["id"])["webhookEndpoint"]["deliveries"]
    first_in_graph = next(d for d in graph_log if d["eventId"] == received[0]["id"])
    assert [a["statusCode"] for a in first_in_graph["attemptLog"]] == [503, 503, 503, 204]

    # The buyer's portal: the supplier's status while it consents.
    def buyer_events() -> list[dict[str, Any]]:
        return [
            e
            for e in buyer_receiver.verified(buyer_hook["secret"])
            if e["enterprise_id"] == enterprise_id
        ]

    assert eventually(lambda: len(buyer_events()) >= 1, timeout=120)
    assert {e["type"] for e in buyer_events()} == {"supplier.status_changed"}
    before = len(buyer_events())
    status = buyer.graph(SUPPLIER_STATUS, id=enterprise_id)["supplierStatus"]
    assert status["enterpriseId"] == enterprise_id
    assert status["stages"] == [
        {"stage": s["stage"]}
        for s in buyer.get(f"/reporting/suppliers/{enterprise_id}/status")["stages"]
    ]

    # Withdrawn: the next stage change reaches the partner, never the buyer.
    withdrawn = partner.graph(WITHDRAW, id=enterprise_id, buyer=buyer_id)["withdrawConsent"]
    assert withdrawn["__typename"] == "Consent", withdrawn
    moved = partner.graph(
        STAGE, id=enrolment["id"], stage="consent_signed", reference="consent-form.pdf"
    )["changeStage"]
    assert moved["__typename"] == "EnterpriseEnrolment", moved
    assert eventually(
        lambda: [e["data"].get("to_stage") for e in partner_events()][-1:] == ["consent_signed"],
        timeout=120,
    )
    # The worker serves every endpoint in each pass: once the partner has the stage change,
    # the buyer's queue has been looked at after the withdrawal too.
    assert eventually(
        lambda: all(
            d["status"] != "pending"
            for d in buyer.get(f"/reporting/webhooks/{buyer_hook['id']}/deliveries")
        ),
        timeout=60,
    )
    assert len(buyer_events()) == before
    assert buyer.graph(SUPPLIER_STATUS, id=enterprise_id) == {"supplierStatus": None}
    assert all(
        e["enterprise_id"] != enterprise_id
        for e in buyer.get("/reporting/feed", limit=500)["events"]
    )
