"""Indicators' GraphQL mutations: rounds, value batches through review and correction,
improvement projects and ratings, by the REST routes' service calls with typed results."""

from typing import Any
from uuid import uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import ILO, Api, graph_data
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.values_support import count_values, make_indicator, make_round

__all__ = ["indicators_world", "indicators_world_baseline"]

RECORD = """
mutation ($input: RecordValuesInput!, $mode: BatchMode! = all_or_nothing) {
  recordValues(input: $input, mode: $mode) {
    __typename
    ... on ValueBatchResult {
      accepted rejected rows { index status valueId errors { field rule } }
    }
    ... on ValidationFailed { errors { field rule } }
    ... on Conflict { type retryAfter }
  }
}
"""

REVIEW = """
mutation ($ids: [ID!]!) {
  submitValues(input: {valueIds: $ids}) {
    __typename ... on ReviewedValues { values { id status } }
  }
}
"""

VALIDATE = """
mutation ($ids: [ID!]!) {
  validateValues(input: {valueIds: $ids}) {
    __typename
    ... on ReviewedValues { values { id status reviewedBy } }
    ... on Forbidden { errors { field rule } }
    ... on Conflict { currentStatus }
  }
}
"""

CORRECT = """
mutation ($id: ID!, $input: CorrectValueInput!) {
  correctValue(valueId: $id, input: $input) {
    __typename
    ... on RecordedValue { id value status correctionReason version }
    ... on Conflict { currentStatus type }
    ... on NotFound { message }
    ... on ValidationFailed { errors { field rule } }
  }
}
"""


def row(enterprise_id: Any, code: str, round_id: str, value: str) -> dict[str, Any]:
    return {
        "enterpriseId": str(enterprise_id),
        "indicatorCode": code,
        "roundId": round_id,
        "value": value,
    }


async def test_values_go_from_batch_to_validated_and_corrected_through_the_graph(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    staff, manager = world.efp_staff, world.pakistan_manager
    accidents = await make_indicator(indicators_session, kind="count", max_value=10_000)
    baseline = await make_round(indicators_api, world.pakistan_project_id)
    data = await graph_data(
        indicators_api,
        RECORD,
        as_=staff,
        input={"values": [row(indicators_world.efp_enterprise_id, accidents.code, baseline, "12")]},
    )
    batch = data["recordValues"]
    assert (batch["__typename"], batch["accepted"], batch["rejected"]) == ("ValueBatchResult", 1, 0)
    value_id = batch["rows"][0]["valueId"]

    submitted = await graph_data(indicators_api, REVIEW, as_=staff, ids=[value_id])
    assert submitted["submitValues"]["values"] == [{"id": value_id, "status": "submitted"}]
    # Four eyes: the enterer may not validate it, as over REST.
    own = await graph_data(indicators_api, VALIDATE, as_=staff, ids=[value_id])
    assert own["validateValues"]["__typename"] == "Forbidden"
    assert own["validateValues"]["errors"][0]["rule"] == "four_eyes"
    validated = await graph_data(indicators_api, VALIDATE, as_=manager, ids=[value_id])
    assert validated["validateValues"]["values"][0]["status"] == "validated"

    corrected = await graph_data(
        indicators_api,
        CORRECT,
        as_=staff,
        id=value_id,
        input={"value": "14", "reason": "The register shows 14"},
    )
    assert corrected["correctValue"]["__typename"] == "RecordedValue"
    assert corrected["correctValue"]["value"] == "14"
    assert corrected["correctValue"]["status"] == "submitted"
    rest = await indicators_api.get(f"/values/{value_id}/history", as_=staff)
    assert rest.status_code == 200, rest.text


async def test_an_invalid_batch_names_each_value_and_writes_nothing(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    accidents = await make_indicator(indicators_session, kind="count", max_value=100)
    baseline = await make_round(indicators_api, world.pakistan_project_id)
    before = await count_values(indicators_session)
    enterprise = indicators_world.efp_enterprise_id
    data = await graph_data(
        indicators_api,
        RECORD,
        as_=world.efp_staff,
        input={
            "values": [
                row(enterprise, accidents.code, baseline, "12"),
                row(enterprise, accidents.code, baseline, "500") | {"sex": "female"},
                row(enterprise, accidents.code, baseline, "5") | {"valueBool": True},
            ]
        },
    )
    refused = data["recordValues"]
    assert refused["__typename"] == "ValidationFailed"
    fields = {error["field"] for error in refused["errors"]}
    assert "input.values.2.valueBool" in fields
    assert await count_values(indicators_session) == before


async def test_a_figure_out_of_bounds_is_refused_not_read_as_a_yes_no_answer(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    # The graph's input is validated as Python values, where a bool takes a number: 1e-400,
    # refused as a figure (over 20 decimal places), became "no" for a yes/no practice.
    world = indicators_world.world
    practice = await make_indicator(indicators_session, kind="yes_no")
    baseline = await make_round(indicators_api, world.pakistan_project_id)
    before = await count_values(indicators_session)
    data = await graph_data(
        indicators_api,
        RECORD,
        as_=world.efp_staff,
        input={
            "values": [row(indicators_world.efp_enterprise_id, practice.code, baseline, "1e-400")]
        },
    )
    refused = data["recordValues"]
    assert refused["__typename"] == "ValidationFailed", refused
    assert {"field": "input.values.0.value.decimal", "rule": "decimal_max_digits"} in refused[
        "errors"
    ]
    assert await count_values(indicators_session) == before


async def test_another_partners_value_cannot_be_corrected_and_looks_like_a_random_id(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    accidents = await make_indicator(indicators_session, kind="count", max_value=10_000)
    baseline = await make_round(indicators_api, world.pakistan_project_id)
    batch = await graph_data(
        indicators_api,
        RECORD,
        input={"values": [row(indicators_world.efp_enterprise_id, accidents.code, baseline, "3")]},
    )
    value_id = batch["recordValues"]["rows"][0]["valueId"]
    correction = {"value": "4", "reason": "Because"}
    foreign = await graph_data(
        indicators_api, CORRECT, as_=world.mdpi_staff, id=value_id, input=correction
    )
    random_id = str(uuid4())
    random = await graph_data(
        indicators_api, CORRECT, as_=world.mdpi_staff, id=random_id, input=correction
    )
    assert foreign["correctValue"]["__typename"] == "NotFound"
    assert foreign["correctValue"]["message"].replace(value_id, "<id>") == random["correctValue"][
        "message"
    ].replace(random_id, "<id>")
    # The owner gets the REST route's 409: a draft is changed, not corrected.
    own = await graph_data(indicators_api, CORRECT, id=value_id, input=correction, as_=ILO)
    assert own["correctValue"]["__typename"] == "Conflict"
    assert own["correctValue"]["currentStatus"] == "draft"


async def test_improvement_project_is_created_and_moved_on_through_the_graph(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    staff = indicators_world.world.efp_staff
    created = await graph_data(
        indicators_api,
        """
        mutation ($id: ID!) {
          createImprovementProject(enterpriseId: $id, input: {
            moduleCode: "workplace_cooperation", title: "Suggestion box", category: "other"
          }) { __typename ... on ImprovementProject { id status } }
        }
        """,
        as_=staff,
        id=str(indicators_world.efp_enterprise_id),
    )
    project = created["createImprovementProject"]
    assert project["status"] == "planned"
    update = """
        mutation ($id: ID!, $input: UpdateImprovementProjectInput!) {
          updateImprovementProject(id: $id, input: $input) {
            __typename
            ... on ImprovementProject { status }
            ... on ValidationFailed { errors { field rule } }
            ... on Conflict { errors { field rule } }
          }
        }
    """
    skipped = await graph_data(
        indicators_api, update, as_=staff, id=project["id"], input={"status": "completed"}
    )
    assert skipped["updateImprovementProject"] == {
        "__typename": "Conflict",
        "errors": [{"field": "input.status", "rule": "transition"}],
    }
    started = await graph_data(
        indicators_api, update, as_=staff, id=project["id"], input={"status": "in_progress"}
    )
    assert started["updateImprovementProject"] == {
        "__typename": "ImprovementProject",
        "status": "in_progress",
    }
    undated = await graph_data(
        indicators_api, update, as_=staff, id=project["id"], input={"status": "completed"}
    )
    # Completed needs its date: the REST rule, naming the GraphQL field.
    assert undated["updateImprovementProject"] == {
        "__typename": "ValidationFailed",
        "errors": [{"field": "input.completedOn", "rule": "required_when_completed"}],
    }


async def test_round_with_ends_before_starts_is_refused_naming_the_field(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    data = await graph_data(
        indicators_api,
        """
        mutation ($project: ID!) {
          createRound(input: {projectId: $project, kind: "endline", name: "Endline",
                              startsOn: "2019-09-01", endsOn: "2019-08-01"}) {
            __typename ... on ValidationFailed { errors { field rule } }
          }
        }
        """,
        as_=indicators_world.world.efp_staff,
        project=str(indicators_world.world.pakistan_project_id),
    )
    assert data["createRound"] == {
        "__typename": "ValidationFailed",
        "errors": [{"field": "input.endsOn", "rule": "date_order"}],
    }
