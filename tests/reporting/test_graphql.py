"""The reporting GraphQL subgraph: Enterprise's scoreStatus and impact under reporting's
tenancy, batching, the programme summary and impact report root fields, composition."""

import re
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.graphql.schema import schema as enrolment_schema
from services.gateway.graph.composer import compose
from services.gateway.graph.subgraph import SUPPORTED_FEDERATION
from services.indicators.graphql.schema import schema as indicators_schema
from services.reporting.graphql.schema import schema as reporting_schema
from services.reporting.impact.repository import refresh_pairs
from services.reporting.readmodels.models import (
    RmEnrolment,
    RmEnterprise,
    RmImprovementTeam,
    RmIndicator,
    RmModuleProgress,
    RmValue,
)
from shared.identity import Principal
from shared.ids import new_id
from tests.enrolment.support import ILO, Api
from tests.reporting.test_suppliers_support import (
    Suppliers,
    owner_of,
    suppliers,
    suppliers_baseline,
)
from tests.sql_support import statements

# The federation directives the gateway composes.
GATEWAY_SUBSET = {"@" + name for name in SUPPORTED_FEDERATION}

__all__ = ["suppliers", "suppliers_baseline"]

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Enterprise {
      id
      scoreStatus {
        projects { projectId projectName stage }
        modulesCompleted { moduleCode completedOn }
        eitInPlace
        eitFormedOn
        improvementProjectsCompleted
      }
      impact {
        indicatorCode baseline endline change relativeChangePercent
        baselineAdopted endlineAdopted improved
      }
    }
  }
}
"""

SUMMARY = """
query ($filter: ReportFilter, $indicators: [String!]) {
  programmeSummary(filter: $filter, indicators: $indicators) {
    enterprisesTrained enterprisesParticipating workersBenefiting
    participants participantsFemale participantsMale
    satisfactionRatings satisfactionRatePct
    headlineImpact { indicator indicatorName n improvedPct medianChangePct suppressed }
    filters { name values }
    minGroupSize
    reachMethod
    dataAsOf { feed position }
  }
}
"""

IMPACT = """
query ($groupBy: [ReportDimension!], $filter: ReportFilter, $indicators: [String!]) {
  impactReport(groupBy: $groupBy, filter: $filter, indicators: $indicators) {
    title method groupBy minGroupSize suppressedRows
    columns { key label kind }
    rows {
      country indicator indicatorName n improved improvedPct medianChangePct
      adoptionBeforePct adoptionAfterPct suppressed suppressionReason
    }
  }
}
"""


async def graphql(api: Api, query: str, *, as_: Principal = ILO, **variables: Any) -> Any:
    response = await api.post("/graphql", json={"query": query, "variables": variables}, as_=as_)
    assert response.status_code == 200, response.text
    return response.json()


async def data_of(api: Api, query: str, *, as_: Principal = ILO, **variables: Any) -> Any:
    body = await graphql(api, query, as_=as_, **variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


async def entities(api: Api, ids: list[UUID], *, as_: Principal) -> list[Any]:
    representations = [{"__typename": "Enterprise", "id": str(i)} for i in ids]
    found: list[Any] = (await data_of(api, ENTITIES, as_=as_, representations=representations))[
        "_entities"
    ]
    return found


def codes(suppliers: Suppliers) -> list[str]:
    return [suppliers.defect_code, suppliers.output_code, suppliers.practice_code]


# Federation


async def test_sdl_extends_enterprise_keyed_by_id_with_supported_directives_only(
    reporting_api: Api,
) -> None:
    sdl = (await data_of(reporting_api, "{ _service { sdl } }"))["_service"]["sdl"]
    assert re.search(r'type Enterprise @key\(fields: "id"\)', sdl)
    link = re.search(
        r'@link\(url: "https://specs.apollo.dev/federation/v2\.\d+", import: (.*)\)', sdl
    )
    assert link is not None, sdl
    used = set(re.findall(r"@\w+", sdl.replace(link.group(0), "")))
    assert used <= GATEWAY_SUBSET, used
    enterprise = re.search(r"type Enterprise [^{]*\{(.*?)\n\}", sdl, re.DOTALL)
    assert enterprise is not None
    fields = re.findall(r"^\s+(\w+)[(:]", enterprise.group(1), re.MULTILINE)
    assert fields == ["id", "scoreStatus", "impact"]


def test_subgraph_composes_with_enrolment_and_indicators_without_clashes() -> None:
    sdls = {
        "enrolment": enrolment_schema.as_str(),
        "indicators": indicators_schema.as_str(),
        "reporting": reporting_schema.as_str(),
    }
    supergraph = compose(sdls)
    assert supergraph.field_owners("Query", "programmeSummary") == ("reporting",)
    assert supergraph.field_owners("Query", "impactReport") == ("reporting",)
    assert supergraph.field_owners("Enterprise", "scoreStatus") == ("reporting",)
    assert supergraph.field_owners("Enterprise", "impact") == ("reporting",)
    assert set(supergraph.field_owners("Enterprise", "id")) == {
        "enrolment",
        "indicators",
        "reporting",
    }
    # Enrolment's stage enum and reporting's are one type in the composed graph.
    assert "enum LifecycleStage" in supergraph.sdl


# Entities and tenancy


async def test_entity_shows_stage_modules_eit_and_indicator_changes(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    [entity] = await entities(reporting_api, [suppliers.supplier_id], as_=suppliers.inditex)
    assert entity["id"] == str(suppliers.supplier_id)
    status = entity["scoreStatus"]
    assert status["projects"] == [
        {
            "projectId": str(suppliers.world.pakistan_project_id),
            "projectName": "ILES Pakistan",
            "stage": "level1",
        }
    ]
    assert status["modulesCompleted"] == [
        {"moduleCode": "workplace_cooperation", "completedOn": "2019-05-30"},
        {"moduleCode": "quality_management", "completedOn": "2020-03-15"},
    ]
    assert (status["eitInPlace"], status["eitFormedOn"]) == (True, "2019-03-01")
    assert status["improvementProjectsCompleted"] == 1
    impact = {change["indicatorCode"]: change for change in entity["impact"]}
    assert set(impact) == set(codes(suppliers))
    assert impact[suppliers.defect_code] == {
        "indicatorCode": suppliers.defect_code,
        "baseline": "8",
        "endline": "5",
        "change": "-3",
        "relativeChangePercent": "-37.5",
        "baselineAdopted": None,
        "endlineAdopted": None,
        "improved": True,
    }
    assert impact[suppliers.output_code]["improved"] is False
    practice = impact[suppliers.practice_code]
    assert (practice["baselineAdopted"], practice["endlineAdopted"]) == (False, True)


async def test_buyer_without_consent_and_other_tenants_get_null_fields(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    ids = [suppliers.supplier_id, suppliers.silent_id, suppliers.unlisted_id]
    world = suppliers.world

    def visible(found: list[Any]) -> list[bool]:
        return [entity["scoreStatus"] is not None for entity in found]

    inditex = await entities(reporting_api, ids, as_=suppliers.inditex)
    assert [entity["id"] for entity in inditex] == [str(i) for i in ids]
    # Consent alone decides: the supplier consenting without naming Inditex shows too.
    assert visible(inditex) == [True, False, True]
    assert [entity["impact"] is None for entity in inditex] == [False, True, False]
    assert visible(await entities(reporting_api, ids, as_=suppliers.adidas)) == [
        False,
        False,
        False,
    ]
    assert visible(await entities(reporting_api, ids, as_=world.efp_staff)) == [
        True,
        True,
        False,
    ]
    assert visible(await entities(reporting_api, ids, as_=world.mdpi_staff)) == [
        False,
        False,
        True,
    ]
    owner = owner_of(suppliers.silent_id)
    assert visible(await entities(reporting_api, ids, as_=owner)) == [False, True, False]
    assert visible(await entities(reporting_api, [*ids, uuid4()], as_=ILO)) == [
        True,
        True,
        True,
        False,
    ]


async def test_bad_representation_id_is_bad_user_input(reporting_api: Api) -> None:
    body = await graphql(
        reporting_api,
        ENTITIES,
        representations=[{"__typename": "Enterprise", "id": "not-a-uuid"}],
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_entities_of_100_enterprises_cost_the_same_statements_as_3(
    reporting_api: Api, reporting_session: AsyncSession, suppliers: Suppliers
) -> None:
    world = suppliers.world
    indicator = RmIndicator(
        id=new_id(),
        code=f"defects_{uuid4().hex[:8]}",
        definition_version=1,
        name_en="Defects",
        name_fr="Défauts",
        name_es="Defectos",
        kind="count",
        unit="pieces",
        direction="down",
    )
    reporting_session.add(indicator)
    ids = [new_id() for _ in range(100)]
    project = world.pakistan_project_id
    for n, enterprise_id in enumerate(ids):
        reporting_session.add_all(
            [
                RmEnterprise(
                    id=enterprise_id,
                    name=f"Peer Garments {n}",
                    country="PK",
                    sector="textile",
                    partner_id=world.efp_id,
                ),
                RmEnrolment(
                    id=new_id(), enterprise_id=enterprise_id, project_id=project, stage="level1"
                ),
                RmModuleProgress(
                    id=new_id(),
                    enterprise_id=enterprise_id,
                    cohort_id=suppliers.cohort_ids[0],
                    module_code="workplace_cooperation",
                    status="completed",
                    completed_on=date(2019, 5, 30),
                ),
                RmImprovementTeam(
                    id=new_id(),
                    enterprise_id=enterprise_id,
                    formed_on=date(2019, 3, 1),
                    in_place=n % 2 == 0,
                    managers_female=1,
                    managers_male=0,
                    workers_female=0,
                    workers_male=n % 2,
                    meeting_count=0,
                ),
            ]
        )
        for kind, sequence, amount in (("baseline", 1, 100 + n), ("endline", 1, 50 + n)):
            reporting_session.add(
                RmValue(
                    value_id=new_id(),
                    enterprise_id=enterprise_id,
                    project_id=project,
                    indicator_id=indicator.id,
                    indicator_code=indicator.code,
                    indicator_version=1,
                    round_id=UUID(
                        suppliers.baseline_round_id
                        if kind == "baseline"
                        else suppliers.endline_round_id
                    ),
                    round_kind=kind,
                    round_sequence=sequence,
                    value=Decimal(amount),
                    status="validated",
                    value_version=1,
                )
            )
    # Values written as rows, not events: pair them as the projector does.
    await reporting_session.flush()
    await refresh_pairs(reporting_session, enterprise_ids=None, indicator_codes=None)
    await reporting_session.commit()

    async def run(count: int) -> list[str]:
        with statements(reporting_session) as seen:
            found = await entities(reporting_api, ids[:count], as_=world.efp_staff)
        assert [entity["id"] for entity in found] == [str(i) for i in ids[:count]]
        for n, entity in enumerate(found):
            status = entity["scoreStatus"]
            assert status["eitInPlace"] is (n % 2 == 0)
            assert [m["moduleCode"] for m in status["modulesCompleted"]] == [
                "workplace_cooperation"
            ]
            [change] = entity["impact"]
            assert (change["baseline"], change["endline"]) == (str(100 + n), str(50 + n))
            assert change["improved"] is True
        return [sql for sql in seen if not sql.startswith(("SAVEPOINT", "RELEASE"))]

    three, hundred = await run(3), await run(100)
    assert len(hundred) == len(three)
    # Visibility, stages, modules, the team, projects, suggestions, plans, the matched pairs.
    assert len(hundred) <= 8, hundred


# Root reports


async def test_programme_summary_matches_the_reach_and_impact_reports(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    pakistan = str(suppliers.world.pakistan_project_id)
    summary = (
        await data_of(
            reporting_api,
            SUMMARY,
            filter={"project": [pakistan]},
            indicators=codes(suppliers),
        )
    )["programmeSummary"]
    # Only the main supplier completed a module; it alone sits on cohorts (450 workers).
    assert summary["enterprisesTrained"] == 1
    assert summary["enterprisesParticipating"] == 1
    assert summary["workersBenefiting"] == 450
    assert (summary["participants"], summary["satisfactionRatings"]) == (0, 0)
    assert summary["filters"] == [{"name": "project", "values": [pakistan]}]
    assert summary["minGroupSize"] is None  # the ILO sees small groups
    reach = await reporting_api.get("/reach", params={"project": pakistan}, as_=ILO)
    [row] = reach.json()["rows"]
    assert summary["enterprisesTrained"] == row["enterprises_trained"]
    assert summary["workersBenefiting"] == row["workers_benefiting"]
    headline = {figure["indicator"]: figure for figure in summary["headlineImpact"]}
    assert headline[suppliers.defect_code] == {
        "indicator": suppliers.defect_code,
        "indicatorName": "Defect rate",
        "n": 1,
        "improvedPct": 100.0,
        "medianChangePct": -37.5,
        "suppressed": False,
    }
    assert headline[suppliers.output_code]["improvedPct"] == 0.0
    assert {p["feed"] for p in summary["dataAsOf"]} == {"enrolment", "indicators"}


async def test_programme_summary_suppresses_small_groups_for_a_programme_manager(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    summary = (
        await data_of(
            reporting_api,
            SUMMARY,
            as_=suppliers.world.pakistan_manager,
            indicators=codes(suppliers),
        )
    )["programmeSummary"]
    assert summary["minGroupSize"] == 5
    assert summary["enterprisesTrained"] is None
    assert summary["headlineImpact"]
    for figure in summary["headlineImpact"]:
        assert figure["suppressed"] is True
        assert figure["n"] is None
        assert figure["improvedPct"] is None


async def test_impact_report_breaks_down_by_country_with_columns_and_method(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    report = (
        await data_of(reporting_api, IMPACT, groupBy=["country"], indicators=codes(suppliers))
    )["impactReport"]
    assert report["groupBy"] == ["country"]
    assert "Matched pairs" in report["method"]
    assert report["columns"][0] == {"key": "country", "label": "Country", "kind": "dimension"}
    rows = {row["indicator"]: row for row in report["rows"]}
    assert set(rows) == set(codes(suppliers))
    defect = rows[suppliers.defect_code]
    assert (defect["country"], defect["n"], defect["improved"]) == ("PK", 1, 1)
    assert defect["medianChangePct"] == -37.5
    practice = rows[suppliers.practice_code]
    assert (practice["adoptionBeforePct"], practice["adoptionAfterPct"]) == (0.0, 100.0)
    # The same figures as the REST report.
    rest = await reporting_api.get(
        "/impact",
        params={"group_by": "country", "indicator": ",".join(codes(suppliers))},
        as_=ILO,
    )
    assert {row["indicator"]: row["n"] for row in rest.json()["rows"]} == {
        code: row["n"] for code, row in rows.items()
    }


async def test_impact_report_is_suppressed_for_a_buyer_and_counts_only_its_suppliers(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    report = (
        await data_of(reporting_api, IMPACT, as_=suppliers.inditex, indicators=codes(suppliers))
    )["impactReport"]
    assert report["minGroupSize"] == 5
    assert report["suppressedRows"] == 3
    assert all(row["suppressed"] and row["n"] is None for row in report["rows"])
    assert "fewer than 5" in report["rows"][0]["suppressionReason"]
    nothing = (
        await data_of(reporting_api, IMPACT, as_=suppliers.adidas, indicators=codes(suppliers))
    )["impactReport"]
    assert nothing["rows"] == []


async def test_bad_report_arguments_are_bad_user_input_naming_the_argument(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    body = await graphql(reporting_api, IMPACT, filter={"country": ["XX"]})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert [e["field"] for e in error["extensions"]["errors"]] == ["filter.country"]
    unknown = await graphql(reporting_api, IMPACT, indicators=["no_such_indicator"])
    [error] = unknown["errors"]
    assert [e["field"] for e in error["extensions"]["errors"]] == ["indicators"]
    dimension = await graphql(reporting_api, IMPACT, groupBy=["colour"])
    assert dimension["errors"]


async def test_requests_without_a_valid_identity_token_are_refused_with_401(
    reporting_api: Api,
) -> None:
    response = await reporting_api.client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthenticated")
