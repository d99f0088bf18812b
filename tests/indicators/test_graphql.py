"""The indicators GraphQL subgraph: the Enterprise entity's extension, batching, tenancy,
the catalogue and rounds, identity and errors."""

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.graph.subgraph import SUPPORTED_FEDERATION
from services.indicators.catalogue.models import Indicator
from services.indicators.improvement_projects.models import ImprovementProject
from services.indicators.replica.models import ReplicaCohort, ReplicaEnterprise
from services.indicators.rounds.models import MeasurementRound
from services.indicators.satisfaction.models import SatisfactionResponse
from services.indicators.teams.models import (
    ImprovementTeam,
    ImprovementTeamMeeting,
    ImprovementTeamMember,
)
from services.indicators.values.models import IndicatorValue
from services.indicators.values.repository import value_repository
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import ILO, Api, World
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.sql_support import statements

# Every test here stands on the module's world (built once): one that doesn't name it
# would otherwise wait forever on the outbox lock the world's open transaction holds.
pytestmark = pytest.mark.usefixtures("indicators_world_baseline")
__all__ = ["indicators_world", "indicators_world_baseline"]

# The federation directives the gateway composes.
GATEWAY_SUBSET = {"@" + name for name in SUPPORTED_FEDERATION}

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Enterprise {
      id
      indicatorValues { indicatorCode value status roundId }
    }
  }
}
"""

EVERYTHING = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Enterprise {
      id
      indicatorValues { id indicatorCode value indicator { code unit } }
      improvementProjects { title status savings }
      improvementTeam { memberCount meetingCount membersByRoleAndSex { role sex count } }
      satisfaction { n satisfiedShare }
    }
  }
}
"""


async def graphql(
    api: Api, query: str, *, as_: Principal = ILO, **variables: Any
) -> dict[str, Any]:
    response = await api.post("/graphql", json={"query": query, "variables": variables}, as_=as_)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data_of(api: Api, query: str, *, as_: Principal = ILO, **variables: Any) -> Any:
    body = await graphql(api, query, as_=as_, **variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def representations(ids: list[UUID]) -> list[dict[str, str]]:
    return [{"__typename": "Enterprise", "id": str(enterprise_id)} for enterprise_id in ids]


async def entities(
    api: Api, ids: list[UUID], *, as_: Principal, query: str = ENTITIES
) -> list[Any]:
    result = await data_of(api, query, as_=as_, representations=representations(ids))
    found: list[Any] = result["_entities"]
    return found


# Factories: rows written straight into the indicators database.


async def indicator(
    session: AsyncSession,
    code: str = "defect_rate",
    *,
    kind: str = "rate",
    unit: str = "%",
    module_code: str | None = "quality_management",
    active: bool = True,
) -> Indicator:
    row = Indicator(
        # Codes are unique and a data migration may seed the catalogue: suffix them.
        code=f"{code}_{uuid4().hex[:8]}",
        version=1,
        name_en=code.replace("_", " "),
        name_fr=code,
        name_es=code,
        kind=kind,
        unit=unit,
        direction="down",
        module_code=module_code,
        disaggregations=[],
        active=active,
    )
    session.add(row)
    await session.flush()
    return row


async def measurement_round(
    session: AsyncSession, project_id: UUID, kind: str = "baseline", sequence: int = 1
) -> MeasurementRound:
    starts = date(2024, 1, 1) if kind == "baseline" else date(2024, 9, 1)
    row = MeasurementRound(
        project_id=project_id,
        kind=kind,
        sequence=sequence,
        name=f"{kind} {sequence}",
        starts_on=starts,
        ends_on=starts + timedelta(days=30),
    )
    session.add(row)
    await session.flush()
    return row


def value_row(
    enterprise_id: UUID,
    project_id: UUID,
    of: Indicator,
    value: str,
    *,
    round_id: UUID | None = None,
    status: str = "validated",
    version: int = 1,
    is_current: bool = True,
) -> IndicatorValue:
    return IndicatorValue(
        slot=f"slot-{uuid4()}",
        enterprise_id=enterprise_id,
        project_id=project_id,
        indicator_id=of.id,
        indicator_version=1,
        round_id=round_id,
        month=None if round_id is not None else date(2024, 3, 1),
        value=Decimal(value),
        status=status,
        version=version,
        is_current=is_current,
        entered_by="test",
    )


def implementation_rows(enterprise_id: UUID, *, suffix: str = "") -> list[Any]:
    """An EIT of two managers and two workers (one has left), two meetings, a completed
    improvement project and four satisfaction responses (three satisfied)."""
    team = ImprovementTeam(enterprise_id=enterprise_id, formed_on=date(2024, 2, 1))
    members = [
        ImprovementTeamMember(team_id=team.id, name=f"Manager {suffix}", role=role, sex=sex)
        for role, sex in (("manager", "female"), ("manager", "male"), ("worker", "female"))
    ]
    left = ImprovementTeamMember(
        team_id=team.id, name="Gone", role="worker", sex="male", left_on=date(2024, 3, 1)
    )
    meetings = [
        ImprovementTeamMeeting(team_id=team.id, held_on=held_on)
        for held_on in (date(2024, 2, 15), date(2024, 3, 1))
    ]
    project = ImprovementProject(
        enterprise_id=enterprise_id,
        module_code="workplace_cooperation",
        title=f"5S in the warehouse {suffix}".strip(),
        category="housekeeping",
        status="completed",
        savings=Decimal("125000.00"),
        currency="PKR",
    )
    responses = [
        SatisfactionResponse(
            enterprise_id=enterprise_id,
            participant_id=uuid4(),
            module_code="workplace_cooperation",
            role="worker",
            sex="female",
            rating=rating,
        )
        for rating in (5, 4, 4, 2)
    ]
    return [team, *members, left, *meetings, project, *responses]


async def add_rows(session: AsyncSession, rows: list[Any]) -> None:
    # Parents first: the flush orders inserts by table dependencies, not by position.
    session.add_all(rows)
    await session.flush()


# Federation


async def test_service_sdl_extends_enterprise_keyed_by_id_with_supported_directives_only(
    indicators_api: Api,
) -> None:
    sdl = (await data_of(indicators_api, "{ _service { sdl } }"))["_service"]["sdl"]
    assert re.search(r'type Enterprise @key\(fields: "id"\)', sdl)
    link = re.search(
        r'@link\(url: "https://specs.apollo.dev/federation/v2\.\d+", import: (.*)\)', sdl
    )
    assert link is not None, sdl
    imported = set(re.findall(r'"(@\w+)"', link.group(1)))
    assert "@key" in imported
    assert imported <= GATEWAY_SUBSET
    used = set(re.findall(r"@\w+", sdl.replace(link.group(0), "")))
    assert used <= GATEWAY_SUBSET, used
    # Only the key is shared with enrolment; the rest of Enterprise is this subgraph's.
    enterprise = re.search(r"type Enterprise [^{]*\{(.*?)\n\}", sdl, re.DOTALL)
    assert enterprise is not None
    fields = re.findall(r"^\s+(\w+)[(:]", enterprise.group(1), re.MULTILINE)
    assert fields == [
        "id",
        "indicatorValues",
        "improvementProjects",
        "improvementTeam",
        "satisfaction",
        "improvementPlans",
        "suggestionScheme",
    ]


async def test_entities_return_each_enterprises_own_indicator_values(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    defects = await indicator(indicators_session)
    baseline = await measurement_round(indicators_session, world.pakistan_project_id)
    first, second = indicators_world.efp_enterprise_id, indicators_world.efp_other_enterprise_id
    await add_rows(
        indicators_session,
        [
            value_row(first, world.pakistan_project_id, defects, "12.5", round_id=baseline.id),
            value_row(second, world.pakistan_project_id, defects, "7.25", round_id=baseline.id),
        ],
    )
    result = await entities(
        indicators_api, [first, second, indicators_world.not_enrolled_enterprise_id], as_=ILO
    )
    assert result == [
        {
            "id": str(first),
            "indicatorValues": [
                {
                    "indicatorCode": defects.code,
                    "value": "12.5",
                    "status": "validated",
                    "roundId": str(baseline.id),
                }
            ],
        },
        {
            "id": str(second),
            "indicatorValues": [
                {
                    "indicatorCode": defects.code,
                    "value": "7.25",
                    "status": "validated",
                    "roundId": str(baseline.id),
                }
            ],
        },
        {"id": str(indicators_world.not_enrolled_enterprise_id), "indicatorValues": []},
    ]


async def test_entity_of_an_enterprise_missing_from_the_replica_is_null(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    found = await entities(indicators_api, [indicators_world.efp_enterprise_id, uuid4()], as_=ILO)
    assert found[0] == {"id": str(indicators_world.efp_enterprise_id), "indicatorValues": []}
    assert found[1] is None


async def test_indicator_value_arguments_filter_code_round_status_and_history(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    project_id = indicators_world.world.pakistan_project_id
    enterprise_id = indicators_world.efp_enterprise_id
    defects = await indicator(indicators_session, "defect_rate")
    absenteeism = await indicator(indicators_session, "absenteeism")
    baseline = await measurement_round(indicators_session, project_id)
    endline = await measurement_round(indicators_session, project_id, "endline")
    corrected = value_row(
        enterprise_id, project_id, defects, "14", round_id=baseline.id, is_current=False
    )
    await add_rows(
        indicators_session,
        [
            corrected,
            value_row(enterprise_id, project_id, defects, "12", round_id=baseline.id, version=2),
            value_row(
                enterprise_id,
                project_id,
                defects,
                "6",
                round_id=endline.id,
                status="submitted",
            ),
            value_row(enterprise_id, project_id, absenteeism, "9", round_id=baseline.id),
        ],
    )
    query = """
    query ($representations: [_Any!]!, $code: String!, $baseline: ID!) {
      _entities(representations: $representations) {
        ... on Enterprise {
          all: indicatorValues { value }
          defects: indicatorValues(indicatorCode: $code) { value version }
          baseline: indicatorValues(roundId: $baseline) { indicatorCode value }
          submitted: indicatorValues(status: "submitted") { value status }
          history: indicatorValues(indicatorCode: $code, currentOnly: false) {
            value version isCurrent
          }
        }
      }
    }
    """
    [entity] = (
        await data_of(
            indicators_api,
            query,
            representations=representations([enterprise_id]),
            code=defects.code,
            baseline=str(baseline.id),
        )
    )["_entities"]
    assert sorted(v["value"] for v in entity["all"]) == ["12", "6", "9"]
    assert entity["defects"] == [{"value": "12", "version": 2}, {"value": "6", "version": 1}]
    assert sorted((v["indicatorCode"], v["value"]) for v in entity["baseline"]) == [
        (absenteeism.code, "9"),
        (defects.code, "12"),
    ]
    assert entity["submitted"] == [{"value": "6", "status": "submitted"}]
    # The superseded version stays readable as history, next to the one that replaced it.
    assert entity["history"] == [
        {"value": "12", "version": 2, "isCurrent": True},
        {"value": "14", "version": 1, "isCurrent": False},
        {"value": "6", "version": 1, "isCurrent": True},
    ]


async def test_improvement_projects_team_and_satisfaction_of_an_enterprise(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    await add_rows(indicators_session, implementation_rows(enterprise_id))
    await add_rows(
        indicators_session,
        [
            ImprovementProject(
                enterprise_id=enterprise_id,
                module_code="workplace_cooperation",
                title="Suggestion box",
                category="communication",
                status="planned",
            )
        ],
    )
    query = """
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Enterprise {
          improvementProjects { title status savings currency }
          planned: improvementProjects(status: "planned") { title }
          improvementTeam {
            formedOn memberCount meetingCount lastMeetingOn
            membersByRoleAndSex { role sex count }
          }
          satisfaction { n satisfied satisfiedShare averageRating }
          otherModule: satisfaction(moduleCode: "quality_management") { n }
        }
      }
    }
    """
    [entity] = (
        await data_of(indicators_api, query, representations=representations([enterprise_id]))
    )["_entities"]
    assert {(p["title"], p["status"]) for p in entity["improvementProjects"]} == {
        ("5S in the warehouse", "completed"),
        ("Suggestion box", "planned"),
    }
    completed = next(p for p in entity["improvementProjects"] if p["status"] == "completed")
    assert (completed["savings"], completed["currency"]) == ("125000.00", "PKR")
    assert entity["planned"] == [{"title": "Suggestion box"}]
    # The worker who left is not part of the team any more.
    assert entity["improvementTeam"] == {
        "formedOn": "2024-02-01",
        "memberCount": 3,
        "meetingCount": 2,
        "lastMeetingOn": "2024-03-01",
        "membersByRoleAndSex": [
            {"role": "manager", "sex": "female", "count": 1},
            {"role": "manager", "sex": "male", "count": 1},
            {"role": "worker", "sex": "female", "count": 1},
        ],
    }
    assert entity["satisfaction"] == {
        "n": 4,
        "satisfied": 3,
        "satisfiedShare": 0.75,
        "averageRating": 3.75,
    }
    assert entity["otherModule"] is None


async def test_enterprise_without_implementation_records_has_empty_projects_no_team_or_rating(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    [entity] = await entities(
        indicators_api, [indicators_world.efp_other_enterprise_id], as_=ILO, query=EVERYTHING
    )
    assert entity == {
        "id": str(indicators_world.efp_other_enterprise_id),
        "indicatorValues": [],
        "improvementProjects": [],
        "improvementTeam": None,
        "satisfaction": None,
    }


# Batching


async def test_entities_of_100_enterprises_cost_the_same_statements_as_3(
    indicators_api: Api, world: World, indicators_session: AsyncSession
) -> None:
    defects = await indicator(indicators_session)
    baseline = await measurement_round(indicators_session, world.pakistan_project_id)
    ids = [uuid4() for _ in range(100)]
    await add_rows(
        indicators_session,
        [
            ReplicaEnterprise(
                id=enterprise_id,
                name=f"Lahore Denim {n}",
                country="PK",
                sector="textile",
                partner_id=world.efp_id,
            )
            for n, enterprise_id in enumerate(ids)
        ],
    )
    rows: list[Any] = []
    for n, enterprise_id in enumerate(ids):
        rows.append(
            value_row(
                enterprise_id, world.pakistan_project_id, defects, str(n), round_id=baseline.id
            )
        )
        rows.extend(implementation_rows(enterprise_id, suffix=str(n)))
    await add_rows(indicators_session, rows)

    async def run(count: int) -> list[str]:
        with statements(indicators_session) as seen:
            found = await entities(
                indicators_api, ids[:count], as_=world.efp_staff, query=EVERYTHING
            )
        assert [entity["id"] for entity in found] == [str(i) for i in ids[:count]]
        for n, entity in enumerate(found):
            assert [v["value"] for v in entity["indicatorValues"]] == [str(n)]
            assert entity["indicatorValues"][0]["indicator"]["code"] == defects.code
            assert entity["improvementProjects"][0]["title"] == f"5S in the warehouse {n}"
            assert entity["improvementTeam"]["memberCount"] == 3
            assert entity["satisfaction"] == {"n": 4, "satisfiedShare": 0.75}
        # Savepoints belong to the test's transaction, not to the work being measured.
        return [sql for sql in seen if "SAVEPOINT" not in sql]

    three, hundred = await run(3), await run(100)
    # The very same statements: the ids travel as one array parameter.
    assert hundred == three
    # Visibility, values, projects, the team and its make-up, satisfaction.
    assert len(hundred) <= 6, hundred
    assert len([sql for sql in hundred if "FROM indicator_value" in sql]) == 1


async def test_aliases_with_different_arguments_cost_one_statement_each_not_one_per_enterprise(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    query = """
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Enterprise {
          validated: indicatorValues(status: "validated") { id }
          drafts: indicatorValues(status: "draft") { id }
        }
      }
    }
    """
    ids = [
        indicators_world.efp_enterprise_id,
        indicators_world.efp_other_enterprise_id,
        indicators_world.mdpi_enterprise_id,
    ]
    with statements(indicators_session) as seen:
        await data_of(indicators_api, query, representations=representations(ids))
    assert len([sql for sql in seen if "FROM indicator_value" in sql]) == 2


# Tenancy


async def test_partner_staff_get_null_for_another_partners_enterprise(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    defects = await indicator(indicators_session)
    await add_rows(
        indicators_session,
        [
            value_row(indicators_world.efp_enterprise_id, world.pakistan_project_id, defects, "3"),
            value_row(indicators_world.mdpi_enterprise_id, world.ghana_project_id, defects, "4"),
        ],
    )
    ids = [indicators_world.efp_enterprise_id, indicators_world.mdpi_enterprise_id]
    as_mdpi = await entities(indicators_api, ids, as_=world.mdpi_staff)
    # Another tenant's enterprise looks exactly like one that does not exist.
    assert as_mdpi[0] is None
    assert as_mdpi[1]["indicatorValues"][0]["value"] == "4"
    as_efp = await entities(indicators_api, ids, as_=world.efp_staff)
    assert as_efp[0]["indicatorValues"][0]["value"] == "3"
    assert as_efp[1] is None


async def test_lead_buyer_sees_no_enterprise_here(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    ids = [
        indicators_world.efp_enterprise_id,
        indicators_world.mdpi_enterprise_id,
        indicators_world.not_enrolled_enterprise_id,
    ]
    assert await entities(indicators_api, ids, as_=indicators_world.world.inditex) == [
        None,
        None,
        None,
    ]


async def test_trainer_sees_only_enterprises_of_their_cohorts(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    trainer_id = uuid4()
    trainer = Principal(subject="ayesha", role=Role.trainer, trainer_id=trainer_id)
    ids = [indicators_world.efp_enterprise_id, indicators_world.efp_other_enterprise_id]
    assert await entities(indicators_api, ids, as_=trainer) == [None, None]
    await add_rows(
        indicators_session,
        [
            ReplicaCohort(
                id=uuid4(),
                project_id=world.pakistan_project_id,
                partner_id=world.efp_id,
                module_code="workplace_cooperation",
                name="Karachi batch",
                enterprise_ids=[indicators_world.efp_enterprise_id],
                trainer_ids=[uuid4(), trainer_id],
            ),
            ReplicaCohort(
                id=uuid4(),
                project_id=world.pakistan_project_id,
                partner_id=world.efp_id,
                module_code="workplace_cooperation",
                name="Lahore batch, someone else's",
                enterprise_ids=[indicators_world.efp_other_enterprise_id],
                trainer_ids=[uuid4()],
            ),
        ],
    )
    found = await entities(indicators_api, ids, as_=trainer)
    assert found == [{"id": str(ids[0]), "indicatorValues": []}, None]


async def test_programme_manager_sees_values_of_their_own_project_only(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    enterprise_id = indicators_world.efp_enterprise_id
    defects = await indicator(indicators_session)
    await add_rows(
        indicators_session,
        [
            value_row(enterprise_id, world.pakistan_project_id, defects, "3"),
            value_row(enterprise_id, world.ghana_project_id, defects, "5"),
        ],
    )

    async def values_seen_by(principal: Principal) -> Any:
        [entity] = await entities(indicators_api, [enterprise_id], as_=principal)
        return None if entity is None else sorted(v["value"] for v in entity["indicatorValues"])

    assert await values_seen_by(world.pakistan_manager) == ["3"]
    # Not enrolled in Ghana: the Ghana manager cannot see the enterprise at all.
    assert await values_seen_by(world.ghana_manager) is None
    assert await values_seen_by(world.efp_staff) == ["3", "5"]


# Root fields


async def test_indicator_catalogue_filters_by_kind_and_module_for_any_caller(
    indicators_api: Api, world: World, indicators_session: AsyncSession
) -> None:
    module = f"module_{uuid4().hex[:8]}"
    defects = await indicator(indicators_session, "defect_rate", module_code=module)
    policy = await indicator(
        indicators_session, "osh_policy", kind="yes_no", unit="yes/no", module_code=module
    )
    retired = await indicator(indicators_session, "old_rate", module_code=module, active=False)
    query = """
    query ($module: String!) {
      all: indicators(moduleCode: $module) { code kind unit nameEn active }
      rates: indicators(moduleCode: $module, kind: "rate") { code }
      everything: indicators(moduleCode: $module, includeInactive: true) { code }
    }
    """
    # Definitions are programme facts: even a buyer, who sees no enterprise here, reads them.
    result = await data_of(indicators_api, query, as_=world.inditex, module=module)
    assert result["all"] == sorted(
        [
            {
                "code": defects.code,
                "kind": "rate",
                "unit": "%",
                "nameEn": "defect rate",
                "active": True,
            },
            {
                "code": policy.code,
                "kind": "yes_no",
                "unit": "yes/no",
                "nameEn": "osh policy",
                "active": True,
            },
        ],
        key=lambda item: str(item["code"]),
    )
    assert result["rates"] == [{"code": defects.code}]
    assert {item["code"] for item in result["everything"]} == {
        defects.code,
        policy.code,
        retired.code,
    }


async def test_rounds_of_a_project_only_for_those_taking_part_in_it(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    pakistan = world.pakistan_project_id
    endline = await measurement_round(indicators_session, pakistan, "endline")
    baseline = await measurement_round(indicators_session, pakistan, "baseline")
    query = "query ($project: ID!) { rounds(projectId: $project) { id kind name startsOn } }"

    async def rounds_seen_by(principal: Principal, project_id: UUID = pakistan) -> list[str]:
        result = await data_of(indicators_api, query, as_=principal, project=str(project_id))
        return [item["id"] for item in result["rounds"]]

    in_order = [str(baseline.id), str(endline.id)]
    assert await rounds_seen_by(ILO) == in_order
    assert await rounds_seen_by(world.efp_staff) == in_order
    assert await rounds_seen_by(world.pakistan_manager) == in_order
    assert await rounds_seen_by(world.ghana_manager) == []
    assert await rounds_seen_by(world.mdpi_staff) == []
    assert await rounds_seen_by(world.inditex) == []
    trainer = Principal(subject="ayesha", role=Role.trainer, trainer_id=uuid4())
    assert await rounds_seen_by(trainer) == []


# Identity and errors


async def test_requests_without_valid_identity_token_are_refused_with_401(
    indicators_api: Api,
) -> None:
    query = {"query": "{ indicators { code } }"}
    missing = await indicators_api.client.post("/graphql", json=query)
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"].endswith("/unauthenticated")
    forged = await indicators_api.client.post(
        "/graphql", json=query, headers={"Authorization": "Bearer not-a-jwt"}
    )
    assert forged.status_code == 401
    federation = await indicators_api.client.post(
        "/graphql",
        json={
            "query": ENTITIES,
            "variables": {"representations": representations([uuid4()])},
        },
    )
    assert federation.status_code == 401


ENTITY_WITH = """
{ _entities(representations: [{__typename: "Enterprise", id: "%s"}]) {
    ... on Enterprise { %s } } }
"""


@pytest.mark.parametrize(
    ("field", "argument"),
    [
        ('indicatorValues(status: "approved") { id }', "status"),
        ('indicatorValues(roundId: "42") { id }', "roundId"),
        ('improvementProjects(status: "done") { id }', "status"),
    ],
)
async def test_bad_field_arguments_are_bad_user_input_naming_the_argument(
    indicators_api: Api, indicators_world: IndicatorsWorld, field: str, argument: str
) -> None:
    query = ENTITY_WITH % (indicators_world.efp_enterprise_id, field)
    body = await graphql(indicators_api, query)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["status"] == 422
    assert [e["field"] for e in error["extensions"]["errors"]] == [argument]


@pytest.mark.parametrize(
    ("query", "argument"),
    [
        ('{ indicators(kind: "ratio") { code } }', "kind"),
        ('{ rounds(projectId: "pakistan") { id } }', "projectId"),
        ('{ _entities(representations: [{__typename: "Enterprise", id: "42"}]) { __typename } }',
         "id"),
    ],
)  # fmt: skip
async def test_bad_root_arguments_are_bad_user_input_naming_the_argument(
    indicators_api: Api, query: str, argument: str
) -> None:
    body = await graphql(indicators_api, query)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [e["field"] for e in error["extensions"]["errors"]] == [argument]


async def test_unexpected_loader_error_is_masked(
    indicators_api: Api, indicators_world: IndicatorsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to postgres://score:hunter2@db failed")

    monkeypatch.setattr(value_repository, "for_enterprises", crash)
    response = await indicators_api.post(
        "/graphql",
        json={
            "query": ENTITIES,
            "variables": {"representations": representations([indicators_world.efp_enterprise_id])},
        },
    )
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "hunter2" not in response.text


async def test_sibling_fields_of_many_entities_share_the_session_safely(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    await add_rows(indicators_session, implementation_rows(indicators_world.efp_enterprise_id))
    await measurement_round(indicators_session, world.pakistan_project_id)
    query = """
    query ($representations: [_Any!]!, $project: ID!) {
      indicators { code }
      rounds(projectId: $project) { id }
      _entities(representations: $representations) {
        ... on Enterprise {
          indicatorValues { id }
          improvementProjects { id }
          improvementTeam { id }
          satisfaction { n }
        }
      }
    }
    """
    result = await data_of(
        indicators_api,
        query,
        as_=world.efp_staff,
        project=str(world.pakistan_project_id),
        representations=representations(
            [indicators_world.efp_enterprise_id, indicators_world.efp_other_enterprise_id]
        ),
    )
    assert len(result["rounds"]) == 1
    first, second = result["_entities"]
    assert first["improvementTeam"] is not None
    assert first["satisfaction"] == {"n": 4}
    assert second["improvementTeam"] is None
