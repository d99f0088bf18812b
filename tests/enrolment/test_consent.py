"""Consent to share supplier status with named lead buyers: give, withdraw, history, visibility."""

from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.consent.models import ConsentEvent
from services.enrolment.db import plumbing
from services.enrolment.lifecycle.models import Enrolment
from shared.enums import LifecycleStage, Role
from shared.identity import Principal
from tests.enrolment.support import Api, World, register


def owner_of(enterprise: dict[str, Any]) -> Principal:
    return Principal(subject="owner", role=Role.enterprise_user, enterprise_id=enterprise["id"])


async def give(api: Api, enterprise_id: str, buyer_id: UUID, *, as_: Principal, **body: Any) -> Any:
    return await api.post(
        f"/enterprises/{enterprise_id}/consents",
        json={"buyer_id": str(buyer_id), **body},
        as_=as_,
    )


async def withdraw(
    api: Api, enterprise_id: str, buyer_id: UUID, *, as_: Principal, reason: str | None = "x"
) -> Any:
    body = {"reason": reason} if reason is not None else {}
    return await api.post(
        f"/enterprises/{enterprise_id}/consents/{buyer_id}/withdraw", json=body, as_=as_
    )


async def outbox_events(session: AsyncSession, aggregate_id: str) -> list[Any]:
    outbox = plumbing.outbox
    rows = await session.execute(
        select(outbox.c.event_type, outbox.c.payload)
        .where(outbox.c.aggregate_id == aggregate_id)
        .order_by(outbox.c.position)
    )
    return list(rows.all())


async def test_enterprise_gives_consent_and_event_and_audit_are_recorded(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await register(api, world.efp_staff)
    owner = owner_of(enterprise)
    response = await give(
        api, enterprise["id"], world.inditex_id, as_=owner, reason="Inditex asked for our status"
    )
    assert response.status_code == 201, response.text
    consent = response.json()
    assert consent["status"] == "given"
    assert consent["scope"] == "supplier_status"
    assert consent["buyer_id"] == str(world.inditex_id)
    assert consent["given_at"] is not None
    assert consent["withdrawn_at"] is None
    [event] = await outbox_events(enrolment_session, consent["id"])
    assert event.event_type == "consent.changed"
    assert event.payload == {
        "consent_id": consent["id"],
        "enterprise_id": enterprise["id"],
        "buyer_id": str(world.inditex_id),
        "status": "given",
    }
    audit = plumbing.audit
    [entry] = (
        await enrolment_session.execute(
            select(audit.c.action, audit.c.actor, audit.c.reason).where(
                audit.c.entity_id == consent["id"]
            )
        )
    ).all()
    assert entry.action == "consent.given"
    assert entry.actor == "enterprise_user:owner"
    assert entry.reason == "Inditex asked for our status"


async def test_giving_again_while_given_is_idempotent(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await register(api, world.efp_staff)
    first = await give(api, enterprise["id"], world.inditex_id, as_=world.efp_staff)
    assert first.status_code == 201
    again = await give(api, enterprise["id"], world.inditex_id, as_=owner_of(enterprise))
    assert again.status_code == 200
    assert again.json() == first.json()
    consent_id = UUID(first.json()["id"])
    history_rows = await enrolment_session.scalar(
        select(func.count()).select_from(ConsentEvent).where(ConsentEvent.consent_id == consent_id)  # type: ignore[arg-type]
    )
    assert history_rows == 1
    assert len(await outbox_events(enrolment_session, str(consent_id))) == 1


async def test_withdraw_then_give_again_keeps_full_history_in_order(api: Api, world: World) -> None:
    enterprise = await register(api, world.efp_staff)
    owner = owner_of(enterprise)
    await give(api, enterprise["id"], world.adidas_id, as_=owner, reason="New buyer programme")
    withdrawn = await withdraw(
        api, enterprise["id"], world.adidas_id, as_=owner, reason="Contract with Adidas ended"
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawn_at"] is not None
    repeated = await withdraw(api, enterprise["id"], world.adidas_id, as_=owner, reason="again")
    assert repeated.status_code == 200
    regiven = await give(api, enterprise["id"], world.adidas_id, as_=world.efp_staff)
    assert regiven.status_code == 200
    assert regiven.json()["status"] == "given"
    assert regiven.json()["withdrawn_at"] is None
    history = await api.get(
        f"/enterprises/{enterprise['id']}/consents/{world.adidas_id}/history", as_=owner
    )
    assert history.status_code == 200
    items = history.json()["items"]
    assert [(i["status"], i["actor"], i["reason"]) for i in items] == [
        ("given", "enterprise_user:owner", "New buyer programme"),
        ("withdrawn", "enterprise_user:owner", "Contract with Adidas ended"),
        ("given", "partner_staff:efp-officer", None),
    ]
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)


async def test_current_consents_are_listed_per_buyer(api: Api, world: World) -> None:
    enterprise = await register(api, world.efp_staff)
    owner = owner_of(enterprise)
    await give(api, enterprise["id"], world.inditex_id, as_=owner)
    await give(api, enterprise["id"], world.adidas_id, as_=owner)
    await withdraw(api, enterprise["id"], world.adidas_id, as_=owner, reason="Not a client now")
    listing = await api.get(f"/enterprises/{enterprise['id']}/consents", as_=world.efp_staff)
    assert listing.status_code == 200
    current = {c["buyer_id"]: c["status"] for c in listing.json()["items"]}
    assert current == {str(world.inditex_id): "given", str(world.adidas_id): "withdrawn"}
    one = await api.get(f"/enterprises/{enterprise['id']}/consents/{world.adidas_id}", as_=owner)
    assert one.json()["status"] == "withdrawn"


async def test_withdrawal_hides_the_enterprise_from_the_buyer_at_once(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await register(api, world.efp_staff)
    enrolment = Enrolment(
        project_id=world.pakistan_project_id,
        enterprise_id=UUID(enterprise["id"]),
        stage=LifecycleStage.level1,
    )
    enrolment_session.add(enrolment)
    await enrolment_session.commit()
    enrolment_id = str(enrolment.id)
    url = f"/enterprises/{enterprise['id']}"
    owner = owner_of(enterprise)
    assert (await api.get(url, as_=world.inditex)).status_code == 404
    await give(api, enterprise["id"], world.inditex_id, as_=owner)
    assert (await api.get(url, as_=world.inditex)).status_code == 200
    assert (await api.get(f"/enrolments/{enrolment_id}", as_=world.inditex)).status_code == 200
    # Consent is per named buyer: another buyer never sees the supplier.
    assert (await api.get(url, as_=world.adidas)).status_code == 404
    await withdraw(api, enterprise["id"], world.inditex_id, as_=owner, reason="Changed our mind")
    assert (await api.get(url, as_=world.inditex)).status_code == 404
    assert (await api.get(f"/enrolments/{enrolment_id}", as_=world.inditex)).status_code == 404
    assert (await api.get("/enterprises", as_=world.inditex)).json()["items"] == []
    assert (await api.get(url, as_=world.adidas)).status_code == 404


async def test_buyer_sees_only_its_own_consent_never_the_others(api: Api, world: World) -> None:
    enterprise = await register(api, world.efp_staff)
    owner = owner_of(enterprise)
    await give(api, enterprise["id"], world.inditex_id, as_=owner)
    await give(api, enterprise["id"], world.adidas_id, as_=owner)
    listing = await api.get(f"/enterprises/{enterprise['id']}/consents", as_=world.inditex)
    assert [c["buyer_id"] for c in listing.json()["items"]] == [str(world.inditex_id)]
    others = f"/enterprises/{enterprise['id']}/consents/{world.adidas_id}"
    assert (await api.get(others, as_=world.inditex)).status_code == 404
    assert (await api.get(f"{others}/history", as_=world.inditex)).status_code == 404
    own = await api.get(
        f"/enterprises/{enterprise['id']}/consents/{world.inditex_id}/history", as_=world.inditex
    )
    assert own.status_code == 200


async def test_consent_to_anything_but_a_lead_buyer_is_refused(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await register(api, world.efp_staff)
    events_before = await enrolment_session.scalar(
        select(func.count()).select_from(plumbing.outbox)
    )
    for not_a_buyer in (world.mdpi_id, uuid4()):
        response = await give(api, enterprise["id"], not_a_buyer, as_=owner_of(enterprise))
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == ("body.buyer_id", "lead_buyer")
    wrong_scope = await give(
        api, enterprise["id"], world.inditex_id, as_=owner_of(enterprise), scope="everything"
    )
    assert wrong_scope.status_code == 422
    assert wrong_scope.json()["errors"][0]["field"] == "body.scope"
    assert (
        await enrolment_session.scalar(select(func.count()).select_from(plumbing.outbox))
        == events_before
    )
    listing = await api.get(f"/enterprises/{enterprise['id']}/consents")
    assert listing.json()["items"] == []


async def test_withdrawal_needs_a_reason_and_an_existing_consent(api: Api, world: World) -> None:
    enterprise = await register(api, world.efp_staff)
    owner = owner_of(enterprise)
    await give(api, enterprise["id"], world.inditex_id, as_=owner)
    for reason in (None, "  "):
        response = await withdraw(api, enterprise["id"], world.inditex_id, as_=owner, reason=reason)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.reason"
    current = await api.get(f"/enterprises/{enterprise['id']}/consents/{world.inditex_id}")
    assert current.json()["status"] == "given"
    never_given = await withdraw(api, enterprise["id"], world.adidas_id, as_=owner, reason="no")
    assert never_given.status_code == 404


async def test_roles_that_may_see_but_not_change_consent_get_403(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await register(api, world.efp_staff)
    enrolment_session.add(
        Enrolment(
            project_id=world.pakistan_project_id,
            enterprise_id=UUID(enterprise["id"]),
            stage=LifecycleStage.level1,
        )
    )
    await enrolment_session.commit()
    await give(api, enterprise["id"], world.inditex_id, as_=owner_of(enterprise))
    for viewer in (world.pakistan_manager, world.inditex):
        assert (await api.get(f"/enterprises/{enterprise['id']}", as_=viewer)).status_code == 200
        gave = await give(api, enterprise["id"], world.adidas_id, as_=viewer)
        assert gave.status_code == 403, viewer.role
        took = await withdraw(api, enterprise["id"], world.inditex_id, as_=viewer, reason="no")
        assert took.status_code == 403, viewer.role
    still = await api.get(f"/enterprises/{enterprise['id']}/consents/{world.inditex_id}")
    assert still.json()["status"] == "given"


async def test_other_tenants_cannot_see_or_change_consent(api: Api, world: World) -> None:
    enterprise = await register(api, world.efp_staff)
    await give(api, enterprise["id"], world.inditex_id, as_=owner_of(enterprise))
    other = await register(api, world.efp_staff)
    outsiders = [
        world.mdpi_staff,
        world.ghana_manager,
        Principal(subject="idle-trainer", role=Role.trainer, trainer_id=uuid4()),
        owner_of(other),
        world.adidas,
    ]
    base = f"/enterprises/{enterprise['id']}/consents"
    for outsider in outsiders:
        assert (await api.get(base, as_=outsider)).status_code == 404, outsider.role
        history = await api.get(f"{base}/{world.inditex_id}/history", as_=outsider)
        assert history.status_code == 404, outsider.role
        gave = await give(api, enterprise["id"], world.adidas_id, as_=outsider)
        assert gave.status_code == 404, outsider.role
        took = await withdraw(api, enterprise["id"], world.inditex_id, as_=outsider, reason="x")
        assert took.status_code == 404, outsider.role
    current = (await api.get(base)).json()["items"]
    assert [(c["buyer_id"], c["status"]) for c in current] == [(str(world.inditex_id), "given")]
