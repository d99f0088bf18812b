"""Webhooks: registered through the API, delivered by the worker to a partner's receiver
(a mock transport: the receiver is outside the platform), signed per Standard Webhooks,
at least once and in order, retried, logged, redelivered, disabled after a day of
failures, with rotating secrets; buyers' deliveries stop the moment consent is withdrawn;
another tenant's endpoint is a random id; private targets are refused in production."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.reporting.webhooks.delivery import WebhookWorker, backoff
from services.reporting.webhooks.models import WebhookDelivery, WebhookEndpoint
from services.reporting.webhooks.targets import TargetRefused, check_target
from shared.columns import utcnow
from tests.conftest import SessionSource
from tests.enrolment.support import Api, graph_data
from tests.reporting.fixtures import reporting_settings, sync_reporting
from tests.reporting.test_suppliers_support import (
    Suppliers,
    owner_of,
    suppliers,
    suppliers_baseline,
    withdraw,
)

__all__ = ["suppliers", "suppliers_baseline"]

RECEIVER = "http://receiver.partner.test/score"


@dataclass
class Receiver:
    """A partner's endpoint: records what arrives; ``up`` False answers 503."""

    up: bool = True
    received: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            return httpx.Response(503, text="maintenance")
        self.received.append(request)
        return httpx.Response(204)

    def verified(self, secret: str) -> list[dict[str, Any]]:
        return [
            Webhook(secret).verify(request.content, dict(request.headers))
            for request in self.received
        ]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def deliver(reporting_session: AsyncSession, receiver: Receiver) -> Callable[[], Any]:
    """One worker pass after another until nothing is due (none waits for a backoff)."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle))
    # A failed attempt backs off a random time up to the initial backoff (full jitter): at
    # the default second, a slow pass found it due again in the same run (attempts 2 for 1
    # on a loaded machine). Up to an hour, only ``time_passes`` makes a retry due.
    settings = reporting_settings(webhook_concurrency=1, webhook_backoff_initial=3600)
    worker = WebhookWorker(settings, SessionSource(reporting_session), http)

    async def run() -> None:
        for _ in range(20):
            if not await worker.run_once():
                return

    return run


async def register(api: Api, as_: Any, **body: Any) -> dict[str, Any]:
    response = await api.post("/webhooks", json={"url": RECEIVER, **body}, as_=as_)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def time_passes(session: AsyncSession) -> None:
    """Every backed-off delivery is due now."""
    await session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
    await session.commit()


async def rename(api: Api, enterprise_id: UUID, city: str, as_: Any) -> None:
    response = await api.patch(f"/enterprises/{enterprise_id}", json={"city": city}, as_=as_)
    assert response.status_code == 200, response.text


async def test_a_partner_receives_signed_events_in_order_after_its_receiver_was_down(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
    receiver: Receiver,
    deliver: Callable[[], Any],
) -> None:
    efp = suppliers.world.efp_staff
    hook = await register(reporting_api, efp, event_types=["enterprise.updated"])
    receiver.up = False
    for city in ("Lahore", "Karachi", "Multan"):
        await rename(api, suppliers.supplier_id, city, efp)
    await sync_reporting(api, indicators_api, reporting_session)
    await deliver()
    assert receiver.received == []
    log = (await reporting_api.get(f"/webhooks/{hook['id']}/deliveries", as_=efp)).json()
    assert [d["status"] for d in log] == ["pending"] * 3
    # Only the oldest was tried: later ones wait for it (order per endpoint).
    assert [d["attempts"] for d in log] == [0, 0, 1]
    assert log[-1]["attempt_log"][0]["status_code"] == 503
    receiver.up = True
    await time_passes(reporting_session)
    await deliver()
    events = receiver.verified(hook["secret"])
    assert [e["data"]["enterprise_id"] for e in events] == [str(suppliers.supplier_id)] * 3
    assert [e["type"] for e in events] == ["enterprise.updated"] * 3
    assert [r.headers["webhook-id"] for r in receiver.received] == [e["id"] for e in events]
    positions = [d["event_id"] for d in reversed(log)]
    assert [e["id"] for e in events] == positions
    after = (await reporting_api.get(f"/webhooks/{hook['id']}/deliveries", as_=efp)).json()
    assert {d["status"] for d in after} == {"delivered"}
    # A forged signature does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(
            receiver.received[0].content, dict(receiver.received[0].headers)
        )


async def test_a_buyers_deliveries_stop_the_moment_consent_is_withdrawn(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
    receiver: Receiver,
    deliver: Callable[[], Any],
) -> None:
    world = suppliers.world
    hook = await register(reporting_api, suppliers.inditex)
    # The buyer's receiver is down when the supplier consents.
    receiver.up = False
    given = await api.post(
        f"/enterprises/{suppliers.silent_id}/consents",
        json={"buyer_id": str(world.inditex_id)},
        as_=owner_of(suppliers.silent_id),
    )
    assert given.status_code in (200, 201), given.text
    await sync_reporting(api, indicators_api, reporting_session)
    await deliver()
    log = (await reporting_api.get(f"/webhooks/{hook['id']}/deliveries", as_=world.inditex)).json()
    assert [(d["event_type"], d["status"]) for d in log] == [("supplier.status_changed", "pending")]
    # Withdrawn before the receiver is back: the queued event is never sent. Meanwhile a
    # supplier still consenting (it withdrew and gave again) is delivered.
    await withdraw(api, suppliers.silent_id, world.inditex_id)
    await withdraw(api, suppliers.supplier_id, world.inditex_id)
    again = await api.post(
        f"/enterprises/{suppliers.supplier_id}/consents",
        json={"buyer_id": str(world.inditex_id)},
        as_=owner_of(suppliers.supplier_id),
    )
    assert again.status_code in (200, 201), again.text
    await sync_reporting(api, indicators_api, reporting_session)
    receiver.up = True
    await time_passes(reporting_session)
    await deliver()
    events = receiver.verified(hook["secret"])
    assert [(e["type"], e["enterprise_id"]) for e in events] == [
        ("supplier.status_changed", str(suppliers.supplier_id))
    ]
    log = (await reporting_api.get(f"/webhooks/{hook['id']}/deliveries", as_=world.inditex)).json()
    assert [d["status"] for d in reversed(log)] == ["suppressed", "delivered"]


async def test_failing_for_a_day_disables_the_endpoint_with_the_reason_and_it_can_resume(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
    receiver: Receiver,
    deliver: Callable[[], Any],
) -> None:
    efp = suppliers.world.efp_staff
    hook = await register(reporting_api, efp, event_types=["enterprise.updated"])
    receiver.up = False
    await rename(api, suppliers.second_id, "Faisalabad", efp)
    await sync_reporting(api, indicators_api, reporting_session)
    await deliver()
    await reporting_session.execute(
        update(WebhookEndpoint).values(failing_since=utcnow() - timedelta(hours=25))
    )
    await time_passes(reporting_session)
    await deliver()
    shown = (await reporting_api.get(f"/webhooks/{hook['id']}", as_=efp)).json()
    assert shown["status"] == "disabled"
    assert "HTTP 503" in shown["disabled_reason"]
    receiver.up = True
    await deliver()
    assert receiver.received == []  # disabled: nothing sent
    resumed = await reporting_api.patch(
        f"/webhooks/{hook['id']}", json={"status": "active"}, as_=efp
    )
    assert resumed.json()["status"] == "active"
    assert resumed.json()["disabled_reason"] is None
    await deliver()
    assert [e["type"] for e in receiver.verified(hook["secret"])] == ["enterprise.updated"]


async def test_a_rotated_secret_signs_with_both_during_the_overlap_and_redelivery_resends(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
    receiver: Receiver,
    deliver: Callable[[], Any],
) -> None:
    efp = suppliers.world.efp_staff
    hook = await register(reporting_api, efp, event_types=["enterprise.updated"])
    rotated = await reporting_api.post(
        f"/webhooks/{hook['id']}/rotate-secret", json={"overlap_seconds": 3600}, as_=efp
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != hook["secret"]
    await rename(api, suppliers.second_id, "Gujranwala", efp)
    await sync_reporting(api, indicators_api, reporting_session)
    await deliver()
    assert receiver.verified(hook["secret"]) == receiver.verified(new_secret)
    log = (await reporting_api.get(f"/webhooks/{hook['id']}/deliveries", as_=efp)).json()
    again = await reporting_api.post(
        f"/webhooks/{hook['id']}/deliveries/{log[0]['id']}/redeliver", as_=efp
    )
    assert again.status_code == 202, again.text
    assert again.json()["redelivery_of"] == log[0]["id"]
    await deliver()
    ids = [request.headers["webhook-id"] for request in receiver.received]
    assert ids == [log[0]["event_id"]] * 2  # the same event: receivers deduplicate by id
    # No overlap: the old secret stops at once.
    await reporting_api.post(
        f"/webhooks/{hook['id']}/rotate-secret", json={"overlap_seconds": 0}, as_=efp
    )
    await reporting_api.post(f"/webhooks/{hook['id']}/deliveries/{log[0]['id']}/redeliver", as_=efp)
    await deliver()
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret).verify(
            receiver.received[-1].content, dict(receiver.received[-1].headers)
        )


async def test_another_tenants_webhook_is_answered_as_a_random_id(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    world = suppliers.world
    hook = await register(reporting_api, world.efp_staff)
    for path in ("", "/deliveries"):
        for url in (f"/webhooks/{hook['id']}{path}", f"/webhooks/{uuid4()}{path}"):
            for caller in (world.mdpi_staff, suppliers.inditex):
                response = await reporting_api.get(url, as_=caller)
                assert response.status_code == 404, (url, response.text)
    assert (await reporting_api.get("/webhooks", as_=world.mdpi_staff)).json() == []
    assert [
        w["id"] for w in (await reporting_api.get("/webhooks", as_=world.efp_staff)).json()
    ] == [hook["id"]]
    for method in ("patch", "delete"):
        kwargs: dict[str, Any] = {"json": {"status": "disabled"}} if method == "patch" else {}
        foreign = await getattr(reporting_api, method)(
            f"/webhooks/{hook['id']}", as_=world.mdpi_staff, **kwargs
        )
        assert foreign.status_code == 404
    rotate = await reporting_api.post(
        f"/webhooks/{hook['id']}/rotate-secret", json={}, as_=world.mdpi_staff
    )
    assert rotate.status_code == 404
    assert (
        await reporting_api.get(f"/webhooks/{hook['id']}", as_=world.efp_staff)
    ).status_code == 200


async def test_bad_registrations_are_refused_naming_the_field(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    efp = suppliers.world.efp_staff
    unknown = await reporting_api.post(
        "/webhooks", json={"url": RECEIVER, "event_types": ["value.deleted"]}, as_=efp
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"].startswith("body.event_types")
    ftp = await reporting_api.post("/webhooks", json={"url": "ftp://files.test/x"}, as_=efp)
    assert ftp.status_code == 422
    assert [(e["field"], e["rule"]) for e in ftp.json()["errors"]] == [
        ("body.url", "webhook_target")
    ]
    # Not a host name IDNA can decode: it was a 500.
    idna = await reporting_api.post("/webhooks", json={"url": "https://xn--zz.test/x"}, as_=efp)
    assert idna.status_code == 422, idna.text
    assert [(e["field"], e["rule"]) for e in idna.json()["errors"]] == [
        ("body.url", "webhook_target")
    ]
    assert (await reporting_api.get("/webhooks", as_=efp)).json() == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://224.0.0.1/hook",
        "https://localhost/hook",
        "http://93.184.215.14/hook",  # public, but not https
    ],
)
async def test_production_refuses_loopback_private_link_local_and_reserved_targets(
    url: str,
) -> None:
    with pytest.raises(TargetRefused):
        await check_target(url, allow_private=False)
    await check_target("https://93.184.215.14/hook", allow_private=False)
    await check_target("http://127.0.0.1:9000/hook", allow_private=True)


GRAPH_REGISTER = """
mutation ($input: RegisterWebhookInput!) {
  registerWebhook(input: $input) {
    __typename
    ... on WebhookRegistration { secret webhook { id url eventTypes status } }
    ... on ValidationFailed { errors { field rule } }
  }
}
"""
GRAPH_DISABLE = """
mutation ($id: ID!) {
  updateWebhook(id: $id, input: {status: "disabled"}) {
    __typename ... on Webhook { status disabledReason } ... on NotFound { message }
  }
}
"""
GRAPH_ROTATE = """
mutation ($id: ID!) {
  rotateWebhookSecret(id: $id, overlapSeconds: 60) {
    __typename ... on WebhookSecret { secret } ... on NotFound { message }
  }
}
"""


async def test_webhooks_are_registered_and_managed_through_graphql_as_through_rest(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    world = suppliers.world
    data = await graph_data(
        reporting_api,
        GRAPH_REGISTER,
        as_=world.efp_staff,
        input={"url": RECEIVER, "eventTypes": ["value.validated"]},
    )
    registration = data["registerWebhook"]
    assert registration["__typename"] == "WebhookRegistration"
    assert registration["secret"].startswith("whsec_")
    hook_id = registration["webhook"]["id"]
    shown = await reporting_api.get(f"/webhooks/{hook_id}", as_=world.efp_staff)
    assert shown.json()["event_types"] == ["value.validated"]
    bad = await graph_data(
        reporting_api,
        GRAPH_REGISTER,
        as_=world.efp_staff,
        input={"url": "ftp://x.test/", "eventTypes": ["value.deleted"]},
    )
    assert bad["registerWebhook"]["__typename"] == "ValidationFailed"
    assert {e["field"] for e in bad["registerWebhook"]["errors"]} == {"input.eventTypes.0"}
    # Another tenant's endpoint is NotFound, as a random id; nothing changes.
    for mutation, field_name in (
        (GRAPH_DISABLE, "updateWebhook"),
        (GRAPH_ROTATE, "rotateWebhookSecret"),
    ):
        for target in (hook_id, str(uuid4())):
            foreign = await graph_data(reporting_api, mutation, as_=world.mdpi_staff, id=target)
            assert foreign[field_name]["__typename"] == "NotFound"
    assert (await reporting_api.get(f"/webhooks/{hook_id}", as_=world.efp_staff)).json()[
        "status"
    ] == "active"
    own = await graph_data(reporting_api, GRAPH_DISABLE, as_=world.efp_staff, id=hook_id)
    assert own["updateWebhook"]["status"] == "disabled"


class Killed(BaseException):
    """The worker process dying mid-attempt (kill -9): nothing after this point runs."""


async def test_a_worker_killed_mid_delivery_loses_nothing_and_the_next_one_delivers(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
    receiver: Receiver,
    deliver: Callable[[], Any],
) -> None:
    efp = suppliers.world.efp_staff
    hook = await register(reporting_api, efp, event_types=["enterprise.updated"])
    await rename(api, suppliers.second_id, "Hyderabad", efp)
    await sync_reporting(api, indicators_api, reporting_session)

    def die(request: httpx.Request) -> httpx.Response:
        raise Killed

    # First met a receiver that was down: queued, one failed attempt logged.
    receiver.up = False
    await deliver()
    await time_passes(reporting_session)
    settings = reporting_settings(webhook_concurrency=1)
    dying = WebhookWorker(
        settings,
        SessionSource(reporting_session),
        httpx.AsyncClient(transport=httpx.MockTransport(die)),
    )
    with pytest.raises(Killed):
        await dying.run_once()
    # The attempt's transaction died with it: still pending, nothing logged as sent.
    log = (await reporting_api.get(f"/webhooks/{hook['id']}/deliveries", as_=efp)).json()
    assert [(d["status"], d["attempts"]) for d in log] == [("pending", 1)]
    receiver.up = True
    successor = WebhookWorker(
        settings,
        SessionSource(reporting_session),
        httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle)),
    )
    while await successor.run_once():
        pass
    assert [e["type"] for e in receiver.verified(hook["secret"])] == ["enterprise.updated"]


@pytest.mark.parametrize(
    ("attempts", "ceiling"),
    [(0, 1.0), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (30, 10.0)],
)
def test_retries_back_off_exponentially_with_full_jitter_up_to_the_cap(
    attempts: int, ceiling: float
) -> None:
    """Each failed attempt doubles the longest wait before the next, from the initial backoff
    up to the cap; the wait is drawn at random below it (full jitter), so receivers that came
    back are not met by every sender at once."""
    settings = reporting_settings(webhook_backoff_initial=1.0, webhook_backoff_max=10.0)
    waits = [backoff(settings, attempts) for _ in range(200)]
    assert all(0 <= wait <= ceiling for wait in waits), max(waits)
    # Drawn over the whole range: some in its upper half (so the ceiling did grow), some in
    # its lower half (jitter). 200 draws all in one half: a chance of 2**-200.
    assert max(waits) > ceiling / 2 > min(waits), (min(waits), max(waits))
