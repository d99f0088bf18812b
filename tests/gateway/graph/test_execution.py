"""Executing operations across the real enrolment and indicators subgraphs."""

from typing import Any
from uuid import UUID

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.identity import issue_token
from tests.enrolment.support import IDENTITY_KEY, ILO, Api, platform_settings
from tests.gateway.graph.support import ADMIN, Graph
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.values_support import accepted_ids, make_indicator, value

# Every test here stands on the module's world (built once): one that doesn't name it
# would otherwise wait forever on the outbox lock the world's open transaction holds.
pytestmark = pytest.mark.usefixtures("indicators_world_baseline")
__all__ = ["indicators_world", "indicators_world_baseline"]

PROFILE_STAGE_AND_VALUES = """
query Suppliers($first: Int!) {
  enterprises(first: $first) {
    items {
      id
      name
      country
      enrolments { projectId stage }
      indicatorValues { indicatorCode value status }
    }
  }
}
"""


async def capture(
    indicators_api: Api, session: AsyncSession, enterprise_id: UUID, amount: int
) -> str:
    """One draft value of a new count indicator; its code."""
    indicator = await make_indicator(session, kind="count")
    await accepted_ids(indicators_api, [value(enterprise_id, indicator, amount)])
    return indicator.code


async def test_profile_stage_and_indicator_values_need_one_entities_call_for_the_list(
    graph: Graph,
    indicators_world: IndicatorsWorld,
    indicators_api: Api,
    indicators_session: AsyncSession,
) -> None:
    efp_id = indicators_world.efp_enterprise_id
    code = await capture(indicators_api, indicators_session, efp_id, 12)

    body = await graph.query(PROFILE_STAGE_AND_VALUES, {"first": 10})

    assert "errors" not in body, body
    items = body["data"]["enterprises"]["items"]
    assert len(items) == 4
    by_id = {UUID(item["id"]): item for item in items}
    assert list(by_id[efp_id]) == ["id", "name", "country", "enrolments", "indicatorValues"]
    assert by_id[efp_id]["enrolments"] == [
        {"projectId": str(indicators_world.world.pakistan_project_id), "stage": "level1"}
    ]
    assert by_id[efp_id]["indicatorValues"] == [
        {"indicatorCode": code, "value": "12", "status": "draft"}
    ]
    assert by_id[indicators_world.mdpi_enterprise_id]["indicatorValues"] == []
    # One request to enrolment, one batched _entities request to indicators for all four.
    (entities,) = graph.subgraphs.entity_calls("indicators.test")
    assert sorted(r["id"] for r in entities.representations) == sorted(map(str, by_id))
    assert len(graph.subgraphs.calls) == 2
    assert graph.runtime.fetch_counts == {("enrolment", "query"): 1, ("indicators", "entities"): 1}


async def test_admins_can_ask_for_the_subgraph_requests_a_query_made(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    traced = await graph.query(
        PROFILE_STAGE_AND_VALUES, {"first": 10}, as_=ADMIN, headers={"X-Graph-Trace": "1"}
    )
    untraced = await graph.query(
        PROFILE_STAGE_AND_VALUES, {"first": 10}, headers={"X-Graph-Trace": "1"}
    )

    assert traced["extensions"]["gateway"]["fetches"] == [
        {"service": "enrolment", "kind": "query"},
        {"service": "indicators", "kind": "entities", "representations": 4},
    ]
    assert "extensions" not in untraced


async def test_tenancy_holds_through_the_graph(
    graph: Graph,
    indicators_world: IndicatorsWorld,
    indicators_api: Api,
    indicators_session: AsyncSession,
) -> None:
    await capture(indicators_api, indicators_session, indicators_world.mdpi_enterprise_id, 5)
    efp_staff = indicators_world.world.efp_staff

    data = await graph.data(PROFILE_STAGE_AND_VALUES, {"first": 10}, as_=efp_staff)
    other = await graph.data(
        "query ($id: ID!) { enterprise(id: $id) { name } }",
        {"id": str(indicators_world.mdpi_enterprise_id)},
        as_=efp_staff,
    )

    ids = {UUID(item["id"]) for item in data["enterprises"]["items"]}
    assert indicators_world.mdpi_enterprise_id not in ids
    assert indicators_world.efp_enterprise_id in ids
    assert other == {"enterprise": None}


async def test_the_callers_identity_and_request_id_reach_every_subgraph(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    staff = indicators_world.world.efp_staff

    response = await graph.post(
        PROFILE_STAGE_AND_VALUES, {"first": 5}, as_=staff, headers={"X-Request-ID": "req-42"}
    )

    assert response.status_code == 200
    assert {call.host for call in graph.subgraphs.calls} == {"enrolment.test", "indicators.test"}
    for call in graph.subgraphs.calls:
        assert call.headers["x-request-id"] == "req-42"
        assert call.headers["authorization"] == response.request.headers["authorization"]


async def test_an_operation_of_one_subgraph_is_forwarded_as_it_is(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    document = """
    query Profiles($first: Int!) {
      enterprises(first: $first) { items { ...Profile enrolments { stage } } }
    }
    fragment Profile on Enterprise { id name city }
    """

    body = await graph.query(document, {"first": 2}, operation_name="Profiles")

    (call,) = graph.subgraphs.calls
    assert (call.host, call.query, call.variables) == ("enrolment.test", document, {"first": 2})
    assert call.operation_name == "Profiles"
    assert len(body["data"]["enterprises"]["items"]) == 2
    assert graph.runtime.fetch_counts == {("enrolment", "passthrough"): 1}


async def test_fetches_for_the_same_subgraph_in_one_wave_share_one_request(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    document = """query ($a: ID!, $b: ID!) {
      a: enterprise(id: $a) { name team: improvementTeam { memberCount } }
      b: enterprise(id: $b) { name satisfaction { n } }
      same: enterprise(id: $a) { satisfaction { n } }
    }"""
    ids = {
        "a": str(indicators_world.efp_enterprise_id),
        "b": str(indicators_world.mdpi_enterprise_id),
    }

    data = await graph.data(document, ids)

    assert data["a"]["team"] is None
    assert data["b"]["satisfaction"] is None
    assert data["same"] == {"satisfaction": None}
    (entities,) = graph.subgraphs.entity_calls("indicators.test")
    assert entities.query.count("_entities(") == 3


async def test_variables_reach_only_the_subgraphs_that_use_them(
    graph: Graph,
    indicators_world: IndicatorsWorld,
    indicators_api: Api,
    indicators_session: AsyncSession,
) -> None:
    code = await capture(indicators_api, indicators_session, indicators_world.efp_enterprise_id, 3)
    document = """query ($first: Int!, $code: String, $kind: String) {
      enterprises(first: $first) { items { id indicatorValues(indicatorCode: $code) { value } } }
      indicators(kind: $kind) { code }
    }"""

    data = await graph.data(document, {"first": 10, "code": code, "kind": "count"})

    assert any(item["indicatorValues"] == [{"value": "3"}] for item in data["enterprises"]["items"])
    (enrolment,) = graph.subgraphs.to("enrolment.test")
    indicators_calls = graph.subgraphs.to("indicators.test")
    assert enrolment.variables == {"first": 10}
    root = next(call for call in indicators_calls if not call.is_entities)
    entities = next(call for call in indicators_calls if call.is_entities)
    assert root.variables == {"kind": "count"}
    assert {k: v for k, v in entities.variables.items() if not k.startswith("_r")} == {"code": code}


async def test_skip_include_aliases_and_fragments_shape_the_response_as_asked(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    document = """
    query ($id: ID!, $team: Boolean!, $hideCity: Boolean!) {
      shop: enterprise(id: $id) {
        __typename
        ...Where
        title: name
        eit: improvementTeam @include(if: $team) { memberCount }
        ... on Enterprise { values: indicatorValues { value } }
      }
    }
    fragment Where on Enterprise { country city @skip(if: $hideCity) }
    """
    variables: dict[str, Any] = {"id": str(indicators_world.efp_enterprise_id)}

    shown = await graph.data(document, {**variables, "team": True, "hideCity": False})
    hidden = await graph.data(document, {**variables, "team": False, "hideCity": True})

    assert list(shown["shop"]) == ["__typename", "country", "city", "title", "eit", "values"]
    assert shown["shop"]["__typename"] == "Enterprise"
    assert list(hidden["shop"]) == ["__typename", "country", "title", "values"]
    # Without the team, indicators is still asked for the values, once.
    assert len(graph.subgraphs.entity_calls("indicators.test")) == 2


async def test_a_subgraph_that_is_down_nulls_its_fields_and_reports_them_at_the_clients_path(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    graph.subgraphs.down.add("indicators.test")
    document = """query ($id: ID!) {
      enterprise(id: $id) { name team: improvementTeam { memberCount } satisfaction { n } }
      organisations(first: 2) { items { name } }
    }"""

    body = await graph.query(document, {"id": str(indicators_world.efp_enterprise_id)})

    assert body["data"]["enterprise"]["name"].startswith("Karachi Knitwear")
    assert body["data"]["enterprise"]["team"] is None
    assert body["data"]["enterprise"]["satisfaction"] is None
    assert len(body["data"]["organisations"]["items"]) == 2
    assert [(e["path"], e["extensions"]) for e in body["errors"]] == [
        (["enterprise", "team"], {"code": "SERVICE_UNAVAILABLE", "service": "indicators"}),
        (["enterprise", "satisfaction"], {"code": "SERVICE_UNAVAILABLE", "service": "indicators"}),
    ]
    assert body["errors"][0]["message"] == "The indicators service is unavailable"


async def test_a_service_that_is_down_costs_only_its_own_fields_of_each_enterprise(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    graph.subgraphs.down.add("indicators.test")
    document = """query ($id: ID!) {
      enterprise(id: $id) { name indicatorValues { value } }
      enterprises(first: 2) { items { name indicatorValues { value } } }
    }"""

    body = await graph.query(document, {"id": str(indicators_world.efp_enterprise_id)})

    # The values cross into indicators and are nullable there: the enterprises stay.
    assert body["data"]["enterprise"]["name"].startswith("Karachi Knitwear")
    assert body["data"]["enterprise"]["indicatorValues"] is None
    items = body["data"]["enterprises"]["items"]
    assert [item["indicatorValues"] for item in items] == [None, None]
    assert all(item["name"] for item in items)
    assert [(e["path"], e["extensions"]["service"]) for e in body["errors"]] == [
        (["enterprise", "indicatorValues"], "indicators"),
        (["enterprises", "items", 0, "indicatorValues"], "indicators"),
        (["enterprises", "items", 1, "indicatorValues"], "indicators"),
    ]


async def test_plans_and_suggestions_of_a_service_that_is_down_cost_only_those_fields(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    # As for a caller indicators does not show the enterprise to (a consenting lead buyer):
    # its part of the enterprise comes back null, which every one of its fields must allow.
    graph.subgraphs.down.add("indicators.test")
    document = """query ($id: ID!) {
      enterprise(id: $id) { name improvementPlans { title } suggestionScheme { submitted } }
    }"""

    body = await graph.query(document, {"id": str(indicators_world.efp_enterprise_id)})

    enterprise = body["data"]["enterprise"]
    assert enterprise is not None, body
    assert enterprise["name"].startswith("Karachi Knitwear")
    assert (enterprise["improvementPlans"], enterprise["suggestionScheme"]) == (None, None)
    assert [(e["path"], e["extensions"]["service"]) for e in body["errors"]] == [
        (["enterprise", "improvementPlans"], "indicators"),
        (["enterprise", "suggestionScheme"], "indicators"),
    ]


async def test_an_expired_forwarded_identity_is_reported_as_such_not_as_an_outage(
    graph: Graph,
) -> None:
    settings = platform_settings()
    expired = issue_token(
        ILO,
        IDENTITY_KEY,
        settings,
        audience=settings.identity_graph_audience,
        ttl_seconds=-3600,
    )

    body = await graph.runtime.execute(
        document="{ organisations(first: 1) { items { name } } indicators { code } }",
        variables=None,
        operation_name=None,
        identity_token=expired,
        request_id="expired-token",
        allow_introspection=False,
    )

    assert body["data"] == {"organisations": None, "indicators": None}
    assert sorted(
        (e["extensions"]["code"], e["extensions"]["service"]) for e in body["errors"]
    ) == [
        ("UNAUTHENTICATED", "enrolment"),
        ("UNAUTHENTICATED", "indicators"),
    ]
    assert "HTTP 401" in body["errors"][0]["message"]


async def test_a_root_subgraph_that_is_down_leaves_the_other_roots_intact(
    graph: Graph, indicators_session: AsyncSession
) -> None:
    indicator = await make_indicator(indicators_session, kind="count")
    graph.subgraphs.down.add("enrolment.test")

    body = await graph.query(
        '{ project(id: "01a201d3-0000-7000-8000-000000000000") { name } indicators { code } }'
    )

    assert body["data"]["project"] is None
    assert indicator.code in [item["code"] for item in body["data"]["indicators"]]
    (error,) = body["errors"]
    assert error["path"] == ["project"]
    assert error["extensions"]["service"] == "enrolment"


async def test_subgraph_errors_are_repathed_to_the_clients_path(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    document = """query ($id: ID!) {
      shop: enterprise(id: $id) { name values: indicatorValues(status: "bogus") { value } }
      organisations(first: 1) { items { name } }
    }"""

    body = await graph.query(document, {"id": str(indicators_world.efp_enterprise_id)})

    (error,) = body["errors"]
    assert error["path"] == ["shop", "values"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "bogus" in error["message"]
    assert "locations" not in error  # subgraph locations point into a document never sent
    assert body["data"]["shop"]["values"] is None
    assert len(body["data"]["organisations"]["items"]) == 1


async def test_list_items_get_their_own_error_paths(
    graph: Graph, indicators_world: IndicatorsWorld
) -> None:
    graph.subgraphs.down.add("indicators.test")

    body = await graph.query(
        "{ enterprises(first: 3) { items { id team: improvementTeam { id } } } }"
    )

    items = body["data"]["enterprises"]["items"]
    assert len(items) == 3
    assert all(item["team"] is None for item in items)
    assert [error["path"] for error in body["errors"]] == [
        ["enterprises", "items", index, "team"] for index in range(3)
    ]


async def test_typename_alone_needs_no_subgraph(graph: Graph) -> None:
    data = await graph.data("{ __typename kind: __typename }")

    assert data == {"__typename": "Query", "kind": "Query"}
    assert graph.subgraphs.calls == []
