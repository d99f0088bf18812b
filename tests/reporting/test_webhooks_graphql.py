"""Webhooks and supplier status through the reporting subgraph: the same service calls as
REST, the secret shown once, the delivery log readable, bad input refused as typed results
naming the argument, another tenancy's endpoint and a supplier a buyer may not see answered
exactly as a random id."""

from collections.abc import Callable
from typing import Any
from uuid import uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import Api, graph_data
from tests.reporting.fixtures import sync_reporting
from tests.reporting.test_suppliers_support import Suppliers, suppliers, suppliers_baseline
from tests.reporting.test_webhooks import RECEIVER, Receiver, deliver, receiver

__all__ = ["deliver", "receiver", "suppliers", "suppliers_baseline"]

REGISTER = """
mutation ($url: String!, $types: [String!]) {
  registerWebhook(input: {url: $url, eventTypes: $types}) {
    __typename
    ... on WebhookRegistration { secret webhook { id url eventTypes status } }
    ... on ValidationFailed { errors { field rule } }
  }
}
"""
ENDPOINT = """
query ($id: ID!) {
  webhookEndpoint(id: $id) {
    id url status disabledReason
    deliveries {
      eventId eventType status attempts lastStatusCode deliveredAt
      attemptLog { attemptedAt statusCode durationMs }
    }
  }
}
"""
UPDATE = """
mutation ($id: ID!) {
  updateWebhook(id: $id, input: {description: "Ours"}) {
    __typename ... on NotFound { message } ... on Webhook { description }
  }
}
"""
STATUS = """
query ($id: ID!) {
  supplierStatus(enterpriseId: $id) {
    enterpriseId name country sector eitInPlace improvementProjectsCompleted
    stages { projectId stage since }
    modulesCompleted { moduleCode completedOn }
    indicators {
      indicatorCode indicatorName unit direction baseline endline relativeChangePercent
      baselineAdopted endlineAdopted improved
    }
  }
}
"""


async def test_a_webhook_registered_in_the_graph_shows_its_secret_once_and_its_delivery_log(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
    receiver: Receiver,
    deliver: Callable[[], Any],
) -> None:
    efp = suppliers.world.efp_staff
    registered = (
        await graph_data(
            reporting_api, REGISTER, as_=efp, url=RECEIVER, types=["enterprise.updated"]
        )
    )["registerWebhook"]
    assert registered["__typename"] == "WebhookRegistration"
    assert registered["secret"].startswith("whsec_")
    hook = registered["webhook"]
    assert (hook["eventTypes"], hook["status"]) == (["enterprise.updated"], "active")
    response = await api.patch(
        f"/enterprises/{suppliers.supplier_id}", json={"city": "Multan"}, as_=efp
    )
    assert response.status_code == 200, response.text
    await sync_reporting(api, indicators_api, reporting_session)
    await deliver()

    endpoint = (await graph_data(reporting_api, ENDPOINT, as_=efp, id=hook["id"]))[
        "webhookEndpoint"
    ]
    assert (endpoint["url"], endpoint["disabledReason"]) == (RECEIVER, None)
    [delivery] = endpoint["deliveries"]
    assert delivery["eventType"] == "enterprise.updated"
    assert (delivery["status"], delivery["attempts"], delivery["lastStatusCode"]) == (
        "delivered",
        1,
        204,
    )
    assert [attempt["statusCode"] for attempt in delivery["attemptLog"]] == [204]
    # What the receiver got is signed with the secret the mutation answered.
    [event] = receiver.verified(registered["secret"])
    assert event["id"] == delivery["eventId"]
    # The same log as over REST, and the secret is never shown again.
    rest = (await reporting_api.get(f"/webhooks/{hook['id']}/deliveries", as_=efp)).json()
    assert [d["event_id"] for d in rest] == [delivery["eventId"]]
    listed = await graph_data(reporting_api, "{ webhookEndpoints { id url } }", as_=efp)
    assert listed["webhookEndpoints"] == [{"id": hook["id"], "url": RECEIVER}]
    assert registered["secret"] not in str(listed) + str(endpoint)


async def test_another_tenancys_webhook_is_answered_as_a_random_id(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    world = suppliers.world
    hook = (await graph_data(reporting_api, REGISTER, as_=world.efp_staff, url=RECEIVER))[
        "registerWebhook"
    ]["webhook"]
    random_id = str(uuid4())
    for other in (world.mdpi_staff, world.inditex):
        for document in (ENDPOINT, UPDATE):
            mine = await reporting_api.post(
                "/graphql", json={"query": document, "variables": {"id": hook["id"]}}, as_=other
            )
            random = await reporting_api.post(
                "/graphql", json={"query": document, "variables": {"id": random_id}}, as_=other
            )
            assert mine.text.replace(hook["id"], "<id>") == random.text.replace(random_id, "<id>")
        updated = await graph_data(reporting_api, UPDATE, as_=other, id=hook["id"])
        assert updated["updateWebhook"]["__typename"] == "NotFound"
        assert (await graph_data(reporting_api, ENDPOINT, as_=other, id=hook["id"]))[
            "webhookEndpoint"
        ] is None
    # The owner's endpoint is untouched.
    mine = await graph_data(reporting_api, ENDPOINT, as_=world.efp_staff, id=hook["id"])
    assert mine["webhookEndpoint"]["id"] == hook["id"]


async def test_bad_webhook_input_is_refused_naming_the_argument_and_writes_nothing(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    efp = suppliers.world.efp_staff
    refused = (
        await graph_data(reporting_api, REGISTER, as_=efp, url=RECEIVER, types=["no.such_type"])
    )["registerWebhook"]
    assert refused["__typename"] == "ValidationFailed"
    assert [e["field"] for e in refused["errors"]] == ["input.eventTypes.0"]
    assert (await graph_data(reporting_api, "{ webhookEndpoints { id } }", as_=efp)) == {
        "webhookEndpoints": []
    }

    hook = (await graph_data(reporting_api, REGISTER, as_=efp, url=RECEIVER))["registerWebhook"][
        "webhook"
    ]
    rotate = """
    mutation ($id: ID!) {
      rotateWebhookSecret(id: $id, overlapSeconds: -1) {
        __typename ... on ValidationFailed { errors { field rule } }
      }
    }"""
    rotated = (await graph_data(reporting_api, rotate, as_=efp, id=hook["id"]))[
        "rotateWebhookSecret"
    ]
    assert rotated == {
        "__typename": "ValidationFailed",
        "errors": [{"field": "overlapSeconds", "rule": "greater_than_equal"}],
    }
    none_asked = "query ($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 0) { id } } }"
    too_few = await reporting_api.post(
        "/graphql", json={"query": none_asked, "variables": {"id": hook["id"]}}, as_=efp
    )
    [error] = too_few.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["errors"][0]["field"] == "first"
    not_an_id = await reporting_api.post(
        "/graphql", json={"query": '{ webhookEndpoint(id: "nope") { id } }'}, as_=efp
    )
    assert not_an_id.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_supplier_status_in_the_graph_is_the_rest_contract_for_a_consenting_buyer_only(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    supplier = str(suppliers.supplier_id)
    rest = (await reporting_api.get(f"/suppliers/{supplier}/status", as_=suppliers.inditex)).json()
    graph = (await graph_data(reporting_api, STATUS, as_=suppliers.inditex, id=supplier))[
        "supplierStatus"
    ]
    assert graph["enterpriseId"] == rest["enterprise_id"] == supplier
    assert (graph["name"], graph["country"], graph["sector"]) == (
        rest["name"],
        rest["country"],
        rest["sector"],
    )
    assert graph["eitInPlace"] is rest["eit_in_place"] is True
    assert graph["improvementProjectsCompleted"] == rest["improvement_projects_completed"]
    assert [(s["projectId"], s["stage"]) for s in graph["stages"]] == [
        (s["project_id"], s["stage"]) for s in rest["stages"]
    ]
    assert [m["moduleCode"] for m in graph["modulesCompleted"]] == [
        m["module_code"] for m in rest["modules_completed"]
    ]
    assert len(graph["modulesCompleted"]) == 2
    assert {i["indicatorCode"]: i["improved"] for i in graph["indicators"]} == {
        i["indicator_code"]: i["improved"] for i in rest["indicators"]
    }
    defect = next(i for i in graph["indicators"] if i["indicatorCode"] == suppliers.defect_code)
    assert (defect["baseline"], defect["endline"], defect["improved"]) == ("8", "5", True)

    # Adidas is listed but has no consent; Inditex never got the silent supplier's consent:
    # both are answered as a supplier that does not exist.
    random_id = str(uuid4())
    for buyer, enterprise in (
        (suppliers.adidas, supplier),
        (suppliers.inditex, str(suppliers.silent_id)),
    ):
        hidden = await reporting_api.post(
            "/graphql", json={"query": STATUS, "variables": {"id": enterprise}}, as_=buyer
        )
        random = await reporting_api.post(
            "/graphql", json={"query": STATUS, "variables": {"id": random_id}}, as_=buyer
        )
        assert hidden.json() == random.json() == {"data": {"supplierStatus": None}}
