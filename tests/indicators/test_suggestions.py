"""The suggestion scheme register: who suggested (role, sex), the decision, the reward and
savings; the scheme counts adopted and rewarded suggestions; tenancy follows the enterprise."""

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import plumbing
from services.indicators.suggestions.models import Suggestion
from tests.enrolment.calls_support import count_rows
from tests.enrolment.support import Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.test_graphql import entities

__all__ = ["indicators_world", "indicators_world_baseline"]


def suggestion(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "submitted_on": "2019-01-10",
        "title": "Colour-coded bins at each sewing line",
        "role": "worker",
        "sex": "female",
    }
    body.update(overrides)
    return body


def rules(response: Any) -> set[tuple[str, str]]:
    return {(e["field"], e["rule"]) for e in response.json().get("errors", [])}


async def count(session: AsyncSession) -> int:
    return await count_rows(session, Suggestion)


async def test_an_adopted_and_rewarded_suggestion_puts_the_scheme_in_place(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    base = f"/enterprises/{enterprise}"
    before = (await indicators_api.get(f"{base}/suggestion-scheme")).json()
    assert (before["submitted"], before["in_place"]) == (0, False)
    made = await indicators_api.post(f"{base}/suggestions", json=suggestion())
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "submitted"
    other = suggestion(role="manager", sex="not_disclosed", status="rejected")
    other["decided_on"] = "2019-01-20"
    assert (await indicators_api.post(f"{base}/suggestions", json=other)).status_code == 201
    decided = await indicators_api.patch(
        f"/suggestions/{made.json()['id']}",
        json={
            "status": "adopted",
            "decided_on": "2019-02-01",
            "reward_paid": "5000",
            "savings": "120000.50",
            "currency": "PKR",
        },
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["reward_paid"], decided.json()["savings"]) == ("5000", "120000.50")
    scheme = (await indicators_api.get(f"{base}/suggestion-scheme")).json()
    assert scheme["submitted"] == 2
    assert (scheme["adopted"], scheme["rejected"], scheme["rewarded"]) == (1, 1, 1)
    assert scheme["adopted_by_sex"] == {"female": 1, "male": 0, "other": 0, "not_disclosed": 0}
    assert scheme["in_place"] is True
    assert scheme["savings_by_currency"] == {"PKR": "120000.50"}
    adopted = await indicators_api.get(f"{base}/suggestions", params={"status": "adopted"})
    assert [s["id"] for s in adopted.json()["items"]] == [made.json()["id"]]
    outbox, audit = plumbing.outbox, plumbing.audit
    events = (
        await indicators_session.execute(
            select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.aggregate_id == made.json()["id"])
            .order_by(outbox.c.position)
        )
    ).all()
    assert [(e.event_type, e.payload["status"]) for e in events] == [
        ("suggestion.changed", "submitted"),
        ("suggestion.changed", "adopted"),
    ]
    assert "title" not in events[-1].payload
    actions = (
        await indicators_session.execute(
            select(audit.c.action)
            .where(audit.c.entity_id == made.json()["id"])
            .order_by(audit.c.id)
        )
    ).all()
    assert [a.action for a in actions] == ["suggestion.created", "suggestion.decided"]


async def test_bad_suggestions_name_the_field_and_rule_and_write_nothing(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    url = f"/enterprises/{indicators_world.efp_enterprise_id}/suggestions"
    before = await count(indicators_session)
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        (suggestion(status="adopted"), ("body", "decided_on_required")),
        (suggestion(reward_paid="100", currency="PKR"), ("body", "only_when_adopted")),
        (
            suggestion(status="adopted", decided_on="2019-02-01", savings="10"),
            ("body", "required_with_amount"),
        ),
        (
            suggestion(status="rejected", decided_on="2018-01-01"),
            ("body", "date_order"),
        ),
        (suggestion(sex="unknown"), ("body.sex", "enum")),
        (suggestion(role="ceo"), ("body.role", "enum")),
        (suggestion(submitted_on="2999-01-01"), ("body.submitted_on", "date_in_future")),
        (suggestion(title="x\u0000y"), ("body.title", "no_null_character")),
        (
            suggestion(status="adopted", decided_on="2019-02-01", reward_paid=-5, currency="PKR"),
            ("body.reward_paid", "greater_than_equal"),
        ),
    ]
    for body, expected in cases:
        response = await indicators_api.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert expected in rules(response), (expected, response.text)
    foreign_project = await indicators_api.post(
        f"/enterprises/{indicators_world.mdpi_enterprise_id}/improvement-projects",
        json={"module_code": "workplace_cooperation", "title": "5S", "category": "five_s"},
    )
    assert foreign_project.status_code == 201, foreign_project.text
    wrong = await indicators_api.post(
        url, json=suggestion(improvement_project_id=foreign_project.json()["id"])
    )
    assert wrong.status_code == 422
    assert ("body.improvement_project_id", "same_enterprise") in rules(wrong)
    assert await count(indicators_session) == before


async def test_another_partners_suggestions_are_as_unknown_and_buyers_cannot_write(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    world = indicators_world.world
    enterprise = indicators_world.efp_enterprise_id
    made = (
        await indicators_api.post(
            f"/enterprises/{enterprise}/suggestions", json=suggestion(), as_=world.efp_staff
        )
    ).json()
    for outsider in (world.mdpi_staff, world.ghana_manager):
        for url in (
            f"/enterprises/{enterprise}/suggestions",
            f"/enterprises/{enterprise}/suggestion-scheme",
            f"/suggestions/{made['id']}",
        ):
            assert (await indicators_api.get(url, as_=outsider)).status_code == 404
        patched = await indicators_api.patch(
            f"/suggestions/{made['id']}", json={"title": "Mine now"}, as_=outsider
        )
        assert patched.status_code == 404
    random = UUID("01a23c03-5faf-7625-9998-f5f29c7003d6")
    assert (await indicators_api.get(f"/suggestions/{random}")).status_code == 404
    own = await indicators_api.get(f"/suggestions/{made['id']}", as_=world.pakistan_manager)
    assert own.status_code == 200


SCHEME_QUERY = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Enterprise { id suggestionScheme { submitted adopted adoptedByWomen inPlace
      savings { currency amount } } }
  }
}
"""


async def test_graphql_sums_up_the_scheme_for_those_who_may_see_the_enterprise(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    adopted = suggestion(status="adopted", decided_on="2019-02-01", savings="300", currency="PKR")
    for body in (adopted, suggestion(sex="male")):
        made = await indicators_api.post(f"/enterprises/{enterprise}/suggestions", json=body)
        assert made.status_code == 201, made.text
    mine = await entities(
        indicators_api, [enterprise], as_=indicators_world.world.efp_staff, query=SCHEME_QUERY
    )
    assert mine[0]["suggestionScheme"] == {
        "submitted": 2,
        "adopted": 1,
        "adoptedByWomen": 1,
        "inPlace": False,
        "savings": [{"currency": "PKR", "amount": "300.00"}],
    }
    theirs = await entities(
        indicators_api, [enterprise], as_=indicators_world.world.mdpi_staff, query=SCHEME_QUERY
    )
    assert theirs == [None]
