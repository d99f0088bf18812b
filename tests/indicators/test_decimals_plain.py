"""Amounts and decimals in JSON are plain decimal strings, never exponent notation: not in
the answers, the history, the events reporting reads, nor the graph."""

import json
import re
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.test_implementation_projects import five_s
from tests.indicators.values_support import events_of, make_indicator

__all__ = ["indicators_world", "indicators_world_baseline"]

EXPONENT = re.compile(r"-?\d+(\.\d+)?[eE][+-]?\d+")


def no_exponent(body: Any) -> None:
    """No value anywhere in the JSON is a number in exponent notation (text or number)."""
    if isinstance(body, dict):
        for item in body.values():
            no_exponent(item)
    elif isinstance(body, list):
        for item in body:
            no_exponent(item)
    elif isinstance(body, str | float):
        assert not EXPONENT.fullmatch(json.dumps(body).strip('"')), body


async def test_values_entered_in_exponent_notation_come_back_plain(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    staff = indicators_world.world.efp_staff
    big = await make_indicator(indicators_session, kind="count")
    small = await make_indicator(indicators_session, kind="rate")
    month = "2024-03-01"
    enterprise = str(indicators_world.efp_enterprise_id)
    raw = (
        '{"submit": false, "values": ['
        f'{{"enterprise_id": "{enterprise}", "indicator_code": "{big.code}", '
        f'"month": "{month}", "value": 9.0E+5}},'
        f'{{"enterprise_id": "{enterprise}", "indicator_code": "{small.code}", '
        f'"month": "{month}", "value": 1E-7}}]}}'
    )
    created = await indicators_api.post(
        "/values/batches",
        content=raw,
        headers={"Content-Type": "application/json"},
        as_=staff,
    )
    assert created.status_code == 201, created.text
    big_id, small_id = (row["value_id"] for row in created.json()["results"])

    edited = await indicators_api.patch(
        f"/values/{big_id}",
        content='{"value": 1.25E+6}',
        as_=staff,
        headers={"Content-Type": "application/json"},
    )
    assert edited.status_code == 200, edited.text
    assert Decimal(edited.json()["value"]) == Decimal(1_250_000)
    fetched = (await indicators_api.get(f"/values/{small_id}", as_=staff)).json()
    assert fetched["value"] == "0.0000001"
    history = (await indicators_api.get(f"/values/{big_id}/history", as_=staff)).json()
    assert [Decimal(v["value"]) for v in history["versions"]] == [900_000, 1_250_000]
    submitted = await indicators_api.post(
        "/values/submit", json={"value_ids": [big_id, small_id]}, as_=staff
    )
    assert submitted.status_code == 200, submitted.text
    for body in (edited.json(), fetched, history, submitted.json()):
        no_exponent(body)
    for event in await events_of(indicators_session, "values.submitted"):
        no_exponent(event)
        assert {Decimal(fact["value"]) for fact in event["values"]} == {
            Decimal(1_250_000),
            Decimal("0.0000001"),
        }

    graph = await indicators_api.post(
        "/graphql",
        json={
            "query": """query ($id: ID!) {
              _entities(representations: [{__typename: "Enterprise", id: $id}]) {
                ... on Enterprise { indicatorValues { value } }
              }
            }""",
            "variables": {"id": enterprise},
        },
        as_=staff,
    )
    assert graph.status_code == 200, graph.text
    no_exponent(graph.json())
    values = {v["value"] for v in graph.json()["data"]["_entities"][0]["indicatorValues"]}
    assert {Decimal(v) for v in values} == {Decimal(1_250_000), Decimal("0.0000001")}


async def test_amounts_of_improvement_projects_come_back_plain(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    body = json.dumps(five_s(currency="PKR")).replace("}", ', "cost": 9.0E+5, "savings": 1.3E+6}')

    created = await indicators_api.post(
        f"/enterprises/{enterprise}/improvement-projects",
        content=body,
        headers={"Content-Type": "application/json"},
    )

    assert created.status_code == 201, created.text
    no_exponent(created.json())
    assert Decimal(created.json()["cost"]) == Decimal(900_000)
    assert Decimal(created.json()["savings"]) == Decimal(1_300_000)
    for event in await events_of(indicators_session, "improvement_project.changed"):
        no_exponent(event)
