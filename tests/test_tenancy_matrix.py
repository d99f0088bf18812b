"""The tenancy matrix: every role against every object kind and every action, REST and
GraphQL, on the world of tests/tenancy_world.py (two tenants and an enterprise shared by
two projects), through the real apps with real signed tokens.

* A foreign object gets the same answer as a random id (same status, same body once ids
  are masked): nothing tells a caller that another tenant's object exists.
* No answer to a caller carries the id of an object it may not read (a duplicate hint, a
  supplier's other buyers, a cohort's members, another project's cohort ...).
* An object a caller may read is never "not found"; writing to a project's records or a
  call needs a role in the project.
* Every route and every GraphQL field has an entry here: a new one fails until it has.
"""

import json
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from graphql import (
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.app import create_app as create_enrolment_app
from services.enrolment.graphql.schema import schema as enrolment_schema
from services.enrolment.settings import EnrolmentSettings
from services.indicators.app import create_app as create_indicators_app
from services.indicators.graphql.schema import schema as indicators_schema
from services.indicators.settings import IndicatorsSettings
from services.reporting.app import create_app as create_reporting_app
from services.reporting.graphql.schema import schema as reporting_schema
from shared.db import Database
from shared.graphql import SubgraphSchema
from tests.conftest import rolled_back_session
from tests.enrolment.assessments_support import assessment_body
from tests.enrolment.calls_support import DECLARED
from tests.enrolment.support import (
    FEED_KEY_PEMS,
    Api,
    feed_headers,
    garment_factory,
    headers_for,
    platform_settings,
)
from tests.in_process import session_api
from tests.reporting.fixtures import reporting_settings
from tests.savepoints import depth_savepoint_engine
from tests.tenancy_world import PRINCIPALS, Apps, Obj, TenancyWorld, build_world

# --- the entries --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A request about one object of ``kind``: ``{name}`` placeholders in the url, params
    and body are the object's ids (or the world's ``extras``). No ``kind``: a listing or
    report with no object, probed once per caller."""

    kind: str | None = None
    url: str | None = None  # default: the route's own path
    params: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    files: Mapping[str, tuple[str, str]] | None = None
    # The callers the route serves at all; to the others every object is foreign.
    only: frozenset[str] | None = None


# Whole services some callers see nothing of: buyers follow their suppliers in reporting.
SERVICE_READERS = {"indicators": frozenset(PRINCIPALS) - {"inditex", "adidas"}}
# What a supplier shares with a consenting buyer wherever it is kept (its readers say who).
SHARED_WITH_BUYERS = frozenset({"business_case"})


def may_read(caller: str, obj: Obj, service: str, case: Case | None = None) -> bool:
    if caller not in obj.readers:
        return False
    if obj.kind not in SHARED_WITH_BUYERS and caller not in SERVICE_READERS.get(service, {caller}):
        return False
    return case is None or case.only is None or caller in case.only


@dataclass(frozen=True)
class Public:
    """No tenant data: programme facts (directory, catalogues, calls) or probes."""

    reason: str


@dataclass(frozen=True)
class IloOnly:
    """Programme administration: anyone but the ILO is refused."""

    body: Any


@dataclass(frozen=True)
class Feed:
    """The event feed: the consuming services (feed tokens) and the ILO only."""


@dataclass(frozen=True)
class Subgraph:
    """A subgraph endpoint: the gateway only (graph-audience tokens)."""


Entry = Case | Public | IloOnly | Feed | Subgraph | tuple[Case, ...]

ENTERPRISE_ID = "{enterprise_id}"
TARGET = {
    "project_id": "{project_id}",
    "metric": "enterprises_trained",
    "period_start": "2025-01-01",
    "period_end": "2025-12-31",
    "target_value": "10",
}
COST = {
    "project_id": "{project_id}",
    "period_start": "2025-03-01",
    "period_end": "2025-03-31",
    "currency": "USD",
    "total_cost": "100",
    "non_ilo_contribution": "10",
}
ROUND = {
    "project_id": "{project_id}",
    "kind": "follow_up",
    "sequence": 7,
    "name": "Follow-up",
    "starts_on": "2020-01-01",
    "ends_on": "2020-01-31",
}
VALUE_ROW = {
    "enterprise_id": ENTERPRISE_ID,
    "indicator_code": "{indicator_code}",
    "round_id": "{round_id}",
    "value": 3,
}
RATING = {
    "enterprise_id": ENTERPRISE_ID,
    "cohort_id": "{cohort_id}",
    "participant_id": "{participant_id}",
    "module_code": "workplace_cooperation",
    "role": "manager",
    "sex": "female",
    "rating": 4,
}
REPORT_PARAMS = {"project": "{project_id}"}
PROGRAMME_EVENT = {
    "project_id": "{project_id}",
    "kind": "alumni_meeting",
    "title": "Alumni network meeting",
    "held_on": "2021-06-03",
    "online": True,
    "organiser": "ILO",
}
# A supplier's assessments are not what a buyer follows (its stage and modules are).
NOT_BUYERS = frozenset(PRINCIPALS) - {"inditex", "adidas"}
PROBE = Public("probe for the operator's network; the gateway never routes it")

ENROLMENT: dict[tuple[str, str], Entry] = {
    ("GET", "/healthz"): PROBE,
    ("GET", "/readyz"): PROBE,
    ("GET", "/metrics"): PROBE,
    ("POST", "/organisations"): IloOnly({"name": "Acme Federation", "kind": "funder"}),
    ("GET", "/organisations"): Public("who the partners, buyers and funders are"),
    ("GET", "/organisations/{organisation_id}"): Public("the organisation directory"),
    ("POST", "/projects"): IloOnly({"name": "A project", "country": "PK"}),
    ("GET", "/projects"): Case(),
    ("GET", "/projects/{project_id}"): Case("project"),
    ("POST", "/enterprises"): Case("partner", body=garment_factory(partner_id="{partner_id}")),
    ("GET", "/enterprises"): (Case(), Case(params={"possible_duplicates": "true"})),
    ("GET", "/enterprises/{enterprise_id}"): Case("enterprise"),
    ("PATCH", "/enterprises/{enterprise_id}"): Case("enterprise", body={"city": "Lahore"}),
    ("POST", "/calls"): Case(
        "project",
        body={
            "project_id": "{project_id}",
            "title": "Another call",
            "deadline": "2099-01-01T00:00:00Z",
            "capacity": 5,
            "criteria": [],
        },
    ),
    ("GET", "/calls"): Public("calls for expression of interest are public announcements"),
    ("GET", "/calls/{call_id}"): Public("a public call"),
    ("GET", "/calls/{call_id}/criteria/{version}"): Public("a public call's criteria"),
    ("PUT", "/calls/{call_id}/criteria"): Case("call", body={"criteria": []}),
    ("POST", "/calls/{call_id}/applications"): Case(
        "enterprise",
        url="/calls/{call_pk}/applications",
        body={"enterprise_id": ENTERPRISE_ID, "answers": DECLARED},
    ),
    ("GET", "/calls/{call_id}/applications"): Case("call"),
    ("POST", "/calls/{call_id}/shortlist"): Case("call"),
    ("GET", "/applications/{application_id}"): Case("application"),
    ("POST", "/applications/{application_id}/meetings"): Case(
        "application",
        body={
            "held_on": "2018-08-20",
            "attendees": [{"name": "Imran Sheikh", "position": "CEO", "decision_maker": True}],
            "commitment": "ceo_attends",
        },
    ),
    ("GET", "/applications/{application_id}/meetings"): Case("application"),
    ("PATCH", "/applications/{application_id}"): Case("application", body={"answers": DECLARED}),
    ("GET", "/enrolments"): (Case(), Case("enterprise", params={"enterprise_id": ENTERPRISE_ID})),
    ("POST", "/enrolments"): Case(
        "enterprise", body={"project_id": "{project_pk}", "enterprise_id": ENTERPRISE_ID}
    ),
    ("GET", "/enrolments/{enrolment_id}"): Case("enrolment"),
    ("GET", "/enrolments/{enrolment_id}/transitions"): Case("enrolment"),
    ("POST", "/enrolments/{enrolment_id}/transitions"): Case(
        "enrolment", body={"to_stage": "dropped", "reason": "Closed the factory"}
    ),
    ("POST", "/enrolments/{enrolment_id}/assessments"): Case(
        "enrolment", body=assessment_body("baseline"), only=NOT_BUYERS
    ),
    ("GET", "/enrolments/{enrolment_id}/assessments"): Case("enrolment", only=NOT_BUYERS),
    ("GET", "/enrolments/{enrolment_id}/next-module"): Case("enrolment", only=NOT_BUYERS),
    ("GET", "/assessments/{assessment_id}"): Case("assessment"),
    ("GET", "/enterprises/{enterprise_id}/consents"): Case("enterprise"),
    ("GET", "/enterprises/{enterprise_id}/order-status"): Case("enterprise"),
    ("PUT", "/enterprises/{enterprise_id}/order-status/{buyer_id}"): Case(
        "enterprise",
        url="/enterprises/{enterprise_id}/order-status/{buyer_inditex}",
        body={"months": [{"month": "2019-03", "confirmed": 100, "pipeline": 50}]},
    ),
    ("POST", "/enterprises/{enterprise_id}/consents"): Case(
        "enterprise", body={"buyer_id": "{buyer_inditex}"}
    ),
    ("GET", "/enterprises/{enterprise_id}/consents/{buyer_id}"): Case("consent"),
    ("POST", "/enterprises/{enterprise_id}/consents/{buyer_id}/withdraw"): Case(
        "consent", body={"reason": "Changed portal"}
    ),
    ("GET", "/enterprises/{enterprise_id}/consents/{buyer_id}/history"): Case("consent"),
    ("GET", "/modules"): Public("the module catalogue"),
    ("GET", "/modules/{code}"): Public("the module catalogue"),
    ("GET", "/modules/{code}/materials"): Public("the training materials library"),
    ("POST", "/modules/{code}/materials"): IloOnly({"language": "en", "title": "A guide"}),
    ("GET", "/materials/{material_id}"): Public("the training materials library"),
    ("GET", "/materials/{material_id}/versions/{version}/file"): Public(
        "the training materials library"
    ),
    # ILO only, as the catalogue; refused to others (403) in tests/enrolment/test_materials.py
    ("POST", "/materials/{material_id}/versions"): Public("the library's uploads (ILO only)"),
    ("POST", "/modules"): IloOnly({"code": "zz_module", "name": "A module", "level": 2}),
    ("PATCH", "/modules/{code}"): IloOnly({"name": "Renamed"}),
    ("POST", "/trainers"): Case(
        "partner",
        body={
            "name": "Sana Mir",
            "sex": "female",
            "country": "PK",
            "organisation_id": "{partner_id}",
        },
    ),
    ("GET", "/trainers"): Case(),
    ("GET", "/trainers/{trainer_id}"): Case("trainer"),
    ("PATCH", "/trainers/{trainer_id}"): Case("trainer", body={"name": "Renamed Trainer"}),
    ("GET", "/trainers/{trainer_id}/certifications"): Case("trainer"),
    ("PUT", "/trainers/{trainer_id}/certifications/{module_code}"): Case(
        "trainer",
        url="/trainers/{trainer_id}/certifications/occupational_safety_and_health",
        body={"level": "candidate"},
    ),
    ("GET", "/trainers/{trainer_id}/certifications/{module_code}/evidence"): Case(
        "trainer", url="/trainers/{trainer_id}/certifications/workplace_cooperation/evidence"
    ),
    ("PUT", "/trainers/{trainer_id}/certifications/{module_code}/quizzes/{session_number}"): Case(
        "trainer",
        url="/trainers/{trainer_id}/certifications/workplace_cooperation/quizzes/1",
        body={"score": 90, "pass_mark": 70, "taken_on": "2018-03-09"},
    ),
    ("POST", "/trainers/{trainer_id}/certifications/{module_code}/assignments"): Case(
        "trainer",
        url="/trainers/{trainer_id}/certifications/workplace_cooperation/assignments",
        files={"file": ("assignment.pdf", "not read before tenancy is checked")},
    ),
    ("GET", "/trainers/{trainer_id}/assignments/{assignment_id}/file"): Case("trainer"),
    ("POST", "/cohorts"): Case(
        "project",
        body={
            "project_id": "{project_id}",
            "module_code": "workplace_cooperation",
            "name": "Another batch",
            "enterprise_ids": [],
            "trainer_ids": [],
        },
    ),
    ("GET", "/cohorts"): Case(),
    ("GET", "/cohorts/{cohort_id}"): Case("cohort"),
    ("PUT", "/cohorts/{cohort_id}/enterprises"): Case("cohort", body={"enterprise_ids": []}),
    ("PUT", "/cohorts/{cohort_id}/trainers"): Case("cohort", body={"trainer_ids": []}),
    ("POST", "/cohorts/{cohort_id}/participants"): Case(
        "membership",
        body={"enterprise_id": ENTERPRISE_ID, "name": "Bilal", "role": "worker", "sex": "male"},
    ),
    ("GET", "/cohorts/{cohort_id}/participants"): Case("cohort"),
    ("DELETE", "/cohorts/{cohort_id}/participants/{participant_id}"): Case("participant"),
    ("POST", "/cohorts/{cohort_id}/sessions"): Case(
        "cohort", body={"day_number": 2, "held_on": "2019-02-05"}
    ),
    ("GET", "/cohorts/{cohort_id}/sessions"): Case("cohort"),
    ("PUT", "/sessions/{session_id}/attendance"): Case("session", body=[]),
    ("GET", "/sessions/{session_id}/attendance"): Case("session"),
    ("POST", "/cohorts/{cohort_id}/visits"): Case(
        "membership",
        body={
            "enterprise_id": ENTERPRISE_ID,
            "visited_on": "2019-04-01",
            "delivery_mode": "virtual",
        },
    ),
    ("GET", "/cohorts/{cohort_id}/visits"): (
        Case("cohort"),
        Case("membership", params={"enterprise_id": ENTERPRISE_ID}),
    ),
    ("PUT", "/cohorts/{cohort_id}/progress/{enterprise_id}"): Case(
        "membership", body={"status": "in_progress"}
    ),
    ("GET", "/cohorts/{cohort_id}/progress"): Case("cohort"),
    ("GET", "/enterprises/{enterprise_id}/progress"): Case("enterprise"),
    ("POST", "/programme-events"): Case("project", body=PROGRAMME_EVENT),
    ("GET", "/programme-events"): (
        Case(),
        Case("project", params={"project_id": "{project_id}"}),
    ),
    ("GET", "/programme-events/{event_id}"): Case("programme_event"),
    ("PATCH", "/programme-events/{event_id}"): Case("programme_event", body={"title": "Renamed"}),
    ("POST", "/programme-events/{event_id}/cancel"): Case(
        "programme_event", body={"reason": "Floods"}
    ),
    ("PUT", "/programme-events/{event_id}/invitations/{enterprise_id}"): Case(
        "programme_event", body={"people": ["Nadia"]}
    ),
    ("GET", "/programme-events/{event_id}/invitations"): Case("programme_event"),
    ("PUT", "/programme-events/{event_id}/attendance"): Case(
        "programme_event",
        body={
            "attendees": [
                {"enterprise_id": ENTERPRISE_ID, "name": "Bilal", "role": "worker", "sex": "male"}
            ]
        },
    ),
    ("GET", "/programme-events/{event_id}/attendance"): Case("programme_event"),
    ("GET", "/graphql"): Subgraph(),
    ("POST", "/graphql"): Subgraph(),
    ("GET", "/events"): Feed(),
}

INDICATORS: dict[tuple[str, str], Entry] = {
    ("GET", "/healthz"): PROBE,
    ("GET", "/readyz"): PROBE,
    ("GET", "/metrics"): PROBE,
    ("GET", "/indicators"): Public("the indicator catalogue"),
    ("GET", "/indicators/{code}"): Public("the indicator catalogue"),
    ("GET", "/indicators/{code}/versions"): Public("the indicator catalogue"),
    ("GET", "/indicators/{code}/versions/{version}"): Public("the indicator catalogue"),
    ("POST", "/indicators"): IloOnly(
        {
            "code": "zz_indicator",
            "name_en": "An indicator",
            "name_fr": "Un indicateur",
            "name_es": "Un indicador",
            "kind": "count",
            "unit": "units",
            "direction": "down",
        }
    ),
    ("PATCH", "/indicators/{code}"): IloOnly({"name_en": "Renamed", "reason": "Clearer"}),
    ("POST", "/rounds"): Case("project", body=ROUND),
    ("GET", "/rounds"): (Case(), Case("project", params={"project_id": "{project_id}"})),
    ("GET", "/rounds/{round_id}"): Case("round"),
    ("POST", "/values/batches"): Case("value", body={"values": [VALUE_ROW]}),
    ("GET", "/values"): (
        Case(),
        Case("enterprise", params={"enterprise_id": ENTERPRISE_ID}),
        Case("round", params={"round_id": "{round_id}"}),
    ),
    ("POST", "/values/submit"): Case("value", body={"value_ids": ["{value_id}"]}),
    ("POST", "/values/validate"): Case("value", body={"value_ids": ["{value_id}"]}),
    ("GET", "/values/{value_id}"): Case("value"),
    ("PATCH", "/values/{value_id}"): Case("value", body={"value": 4}),
    ("GET", "/values/{value_id}/history"): Case("value"),
    ("POST", "/values/{value_id}/submit"): Case("value"),
    ("POST", "/values/{value_id}/validate"): Case("value"),
    ("POST", "/values/{value_id}/return"): Case("value", body={"reason": "Check the register"}),
    ("POST", "/values/{value_id}/corrections"): Case(
        "value", body={"value": 5, "reason": "The register shows 5"}
    ),
    ("POST", "/values/{value_id}/withdraw"): Case(
        "value", body={"reason": "Recorded for the wrong enterprise"}
    ),
    ("GET", "/projects/{project_id}/review-policy"): Case("project"),
    ("PUT", "/projects/{project_id}/review-policy"): Case(
        "project", body={"four_eyes": False, "reason": "One M&E officer until March"}
    ),
    ("GET", "/review-policies"): Case(),
    ("POST", "/imports"): Case(
        "value",
        params={"format": "csv"},
        files={
            "file": (
                "values.csv",
                "enterprise_id,indicator_code,round_id,value\n"
                "{enterprise_id},{indicator_code},{round_id},3\n",
            )
        },
    ),
    ("GET", "/imports/template"): Case("round", params={"round_id": "{round_id}"}),
    ("GET", "/exports/values"): (
        Case("enterprise", params={"enterprise_id": ENTERPRISE_ID}),
        Case("cohort", params={"cohort_id": "{cohort_id}"}),
        Case("round", params={"round_id": "{round_id}"}),
    ),
    ("PUT", "/enterprises/{enterprise_id}/eit"): Case(
        "enterprise", body={"formed_on": "2019-04-01"}
    ),
    ("GET", "/enterprises/{enterprise_id}/eit"): Case("enterprise"),
    ("GET", "/enterprises/{enterprise_id}/eit/members"): Case("enterprise"),
    ("POST", "/enterprises/{enterprise_id}/eit/members"): Case(
        "enterprise", body={"name": "Omar", "role": "worker", "sex": "male"}
    ),
    ("PATCH", "/enterprises/{enterprise_id}/eit/members/{member_id}"): Case(
        "eit_member", body={"position_title": "Line lead"}
    ),
    ("DELETE", "/enterprises/{enterprise_id}/eit/members/{member_id}"): Case("eit_member"),
    ("POST", "/enterprises/{enterprise_id}/eit/meetings"): Case(
        "enterprise", body={"held_on": "2019-04-15", "attendees_female": 1}
    ),
    ("GET", "/enterprises/{enterprise_id}/eit/meetings"): Case("enterprise"),
    ("POST", "/enterprises/{enterprise_id}/improvement-projects"): Case(
        "enterprise",
        body={
            "module_code": "workplace_cooperation",
            "title": "Suggestion box",
            "category": "other",
        },
    ),
    ("GET", "/enterprises/{enterprise_id}/improvement-projects"): Case("enterprise"),
    ("GET", "/improvement-projects"): (
        Case(),
        Case("enterprise", params={"enterprise_id": ENTERPRISE_ID}),
    ),
    ("GET", "/improvement-projects/{project_id}"): Case(
        "improvement_project", url="/improvement-projects/{improvement_project_id}"
    ),
    ("PATCH", "/improvement-projects/{project_id}"): Case(
        "improvement_project",
        url="/improvement-projects/{improvement_project_id}",
        body={"status": "in_progress"},
    ),
    ("POST", "/enterprises/{enterprise_id}/improvement-plans"): Case(
        "enterprise",
        body={
            "module_code": "workplace_cooperation",
            "title": "Plan",
            "agreed_on": "2019-03-20",
            "actions": [
                {"objective": "Tidy", "action": "5S", "owner": "EIT", "due_on": "2019-05-01"}
            ],
        },
    ),
    ("GET", "/enterprises/{enterprise_id}/improvement-plans"): Case("enterprise"),
    ("GET", "/improvement-plans/{plan_id}"): Case("improvement_plan"),
    ("PATCH", "/improvement-plans/{plan_id}/actions/{action_id}"): Case(
        "improvement_plan", body={"status": "in_progress"}
    ),
    ("POST", "/enterprises/{enterprise_id}/suggestions"): Case(
        "enterprise",
        body={"submitted_on": "2019-03-20", "title": "Bins", "role": "worker", "sex": "male"},
    ),
    ("GET", "/enterprises/{enterprise_id}/suggestions"): Case("enterprise"),
    ("GET", "/enterprises/{enterprise_id}/suggestion-scheme"): Case("enterprise"),
    ("GET", "/suggestions/{suggestion_id}"): Case("suggestion"),
    ("PATCH", "/suggestions/{suggestion_id}"): Case("suggestion", body={"title": "Green bins"}),
    ("POST", "/enterprises/{enterprise_id}/business-cases"): Case(
        "improvement_project",
        body={
            "improvement_project_id": "{improvement_project_id}",
            "title": "Bins",
            "problem": "Offcuts",
            "action_taken": "5S",
            "result": "Clear aisles",
        },
    ),
    ("GET", "/enterprises/{enterprise_id}/business-cases"): Case("business_case"),
    ("GET", "/business-cases/{case_id}"): Case("business_case"),
    ("PATCH", "/business-cases/{case_id}"): Case("business_case", body={"title": "Green bins"}),
    ("POST", "/business-cases/{case_id}/photos"): Case(
        "business_case",
        body={"stage": "after", "caption": "After 5S"},
        files={"photo": ("after.png", "not read before tenancy is checked")},
    ),
    ("GET", "/business-cases/{case_id}/photos/{photo_id}/file"): Case("business_case"),
    ("POST", "/satisfaction-responses"): Case("participant", body=RATING),
    ("POST", "/satisfaction-responses/batch"): Case("participant", body=[RATING]),
    ("GET", "/satisfaction-responses"): (
        Case(),
        Case("enterprise", params={"enterprise_id": ENTERPRISE_ID}),
        Case("cohort", params={"cohort_id": "{cohort_id}"}),
    ),
    ("GET", "/satisfaction-summary"): (
        Case(),
        Case("enterprise", params={"enterprise_id": ENTERPRISE_ID}),
        Case("cohort", params={"cohort_id": "{cohort_id}"}),
    ),
    ("GET", "/replica/status"): Public("operational: how far the replica has read"),
    ("GET", "/graphql"): Subgraph(),
    ("POST", "/graphql"): Subgraph(),
    ("GET", "/events"): Feed(),
}

REPORTING: dict[tuple[str, str], Entry] = {
    ("GET", "/healthz"): PROBE,
    ("GET", "/readyz"): PROBE,
    ("GET", "/metrics"): PROBE,
    ("GET", "/readmodels/status"): Public("operational: how fresh the read models are"),
    ("GET", "/readmodels/enterprises/{enterprise_id}"): Case("enterprise", only=frozenset({"ilo"})),
    # Reports aggregate the enterprises the caller may see, wherever they take part: a
    # project filter narrows them, it is no object of its own (unlike project records).
    ("GET", "/reach"): Case(),
    ("GET", "/reach/cost-recovery"): (Case(), Case("project", params=REPORT_PARAMS)),
    ("GET", "/impact"): Case(params={"indicator": "{indicator_code}"}),
    ("GET", "/impact/pairs"): Case(params={"indicator": "{indicator_code}"}),
    ("POST", "/targets"): Case("project", body=TARGET),
    ("GET", "/targets"): (Case(), Case("project", params=REPORT_PARAMS)),
    ("GET", "/targets/metrics"): Public("the metric vocabulary"),
    ("GET", "/targets/progress"): (Case(), Case("project", params=REPORT_PARAMS)),
    ("GET", "/targets/{target_id}"): Case("target"),
    ("PATCH", "/targets/{target_id}"): Case("target", body={"target_value": "11"}),
    ("DELETE", "/targets/{target_id}"): Case("target"),
    ("POST", "/costs"): Case("project", body=COST),
    ("GET", "/costs"): (Case(), Case("project", params=REPORT_PARAMS)),
    ("GET", "/suppliers"): Case(),
    ("GET", "/suppliers/{enterprise_id}"): Case("enterprise"),
    ("GET", "/scorecard"): (Case(), Case("enterprise", params={"enterprise_id": ENTERPRISE_ID})),
    # The whole status across projects: not a programme manager's or a trainer's to read.
    ("GET", "/suppliers/{enterprise_id}/status"): Case(
        "enterprise",
        only=frozenset({"ilo", "efp", "mdpi", "inditex", "adidas", "user_pk", "user_gh"}),
    ),
    # The partner feed: every event's enterprise (and project) through the reader's rule.
    ("GET", "/feed"): (Case(), Case(params={"type": "supplier.status_changed"})),
    ("GET", "/feed/event-types"): Public("the documented event vocabulary"),
    # Webhook endpoints are their owner tenancy's (and the ILO's) only.
    ("POST", "/webhooks"): Case(body={"url": "http://receiver.test/hook"}),
    ("GET", "/webhooks"): Case(),
    ("GET", "/webhooks/{webhook_id}"): Case("webhook"),
    ("PATCH", "/webhooks/{webhook_id}"): Case("webhook", body={"description": "Ours"}),
    ("DELETE", "/webhooks/{webhook_id}"): Case("webhook"),
    ("POST", "/webhooks/{webhook_id}/rotate-secret"): Case("webhook", body={}),
    ("GET", "/webhooks/{webhook_id}/deliveries"): Case("webhook"),
    ("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): Case(
        "webhook", url=f"/webhooks/{{webhook_id}}/deliveries/{uuid4()}/redeliver"
    ),
    ("GET", "/exports/{report}.{file_format}"): (
        Case(url="/exports/reach.csv"),
        Case(url="/exports/suppliers.csv"),
        Case("project", url="/exports/cost_recovery.csv", params=REPORT_PARAMS),
    ),
    ("GET", "/charts/improvement.svg"): Case(params={"indicator": "{indicator_code}"}),
    ("GET", "/graphql"): Subgraph(),
    ("POST", "/graphql"): Subgraph(),
    ("GET", "/events"): Feed(),
}

MATRIX = {"enrolment": ENROLMENT, "indicators": INDICATORS, "reporting": REPORTING}


@dataclass(frozen=True)
class GraphCase:
    """A subgraph field: a root field (with its arguments) or, for ``Enterprise``, the
    entity's fields as the gateway asks for them (``_entities``)."""

    kind: str | None
    arguments: str = ""


GRAPH: dict[str, dict[str, GraphCase | Public]] = {
    "enrolment": {
        "Query.enterprise": GraphCase("enterprise", '(id: "{enterprise_id}")'),
        "Query.enterprises": GraphCase(None, "(first: 100)"),
        "Query.organisations": Public("the organisation directory"),
        "Query.projects": GraphCase(None),
        "Query.project": GraphCase("project", '(id: "{project_id}")'),
        "Query.assessments": GraphCase("assessment", '(enrolmentId: "{enrolment_id}")'),
        "Query.commitmentMeetings": GraphCase("application", '(applicationId: "{application_id}")'),
        "Query.programmeEvents": GraphCase(None, "(first: 100)"),
        "Query.programmeEvent": GraphCase("programme_event", '(id: "{event_id}")'),
        "Query.programmeEventAttendance": GraphCase("programme_event", '(eventId: "{event_id}")'),
        "Query.trainingMaterials": Public("the training materials library"),
        "Query.trainerCertificationEvidence": GraphCase(
            "trainer", '(trainerId: "{trainer_id}", moduleCode: "workplace_cooperation")'
        ),
        "Enterprise": GraphCase("enterprise"),
    },
    "indicators": {
        "Query.indicators": Public("the indicator catalogue"),
        "Query.rounds": GraphCase("project", '(projectId: "{project_id}")'),
        "Query.businessCase": GraphCase("business_case", '(id: "{case_id}")'),
        "Query.businessCases": GraphCase("business_case", '(enterpriseId: "{enterprise_id}")'),
        "Enterprise": GraphCase("enterprise"),
    },
    "reporting": {
        "Query.programmeSummary": GraphCase(None),
        "Query.impactReport": GraphCase(None, '(indicators: ["{indicator_code}"])'),
        "Query.impactPairs": GraphCase(None, '(indicator: "{indicator_code}")'),
        "Query.supplierStatus": GraphCase("enterprise", '(enterpriseId: "{enterprise_id}")'),
        "Query.webhookEndpoints": GraphCase(None),
        "Query.webhookEndpoint": GraphCase("webhook", '(id: "{webhook_id}")'),
        "Enterprise": GraphCase("enterprise"),
    },
}
# The Enterprise fields each subgraph resolves: a new one must be judged here too.
ENTERPRISE_FIELDS = {
    "enrolment": {
        "id", "name", "country", "city", "sector", "subSector", "womenLed", "workforceTotal",
        "workforcePermanent", "workforceFemale", "workforceMale", "partnerId",
        "possibleDuplicate", "possibleDuplicateOfId", "buyerIds", "createdAt", "updatedAt",
        "enrolments", "orderStatus",
    },
    "indicators": {
        "id", "indicatorValues", "improvementProjects", "improvementTeam", "satisfaction",
        "suggestionScheme", "improvementPlans",
    },
    "reporting": {"id", "scoreStatus", "impact"},
}  # fmt: skip


@dataclass(frozen=True)
class MutationCase:
    """A root mutation about one object of ``kind`` (``{name}`` placeholders in the
    arguments are its ids, or the world's extras), with input valid for it so that tenancy,
    not validation, decides. Callers in ``denied`` may not do it to any object (their role,
    or a project named in the arguments that is not theirs): they get the typed form of
    what the REST route ``rest`` answers them; every other reader of the object fares
    exactly as the ILO does, and everyone else is told it does not exist. No ``kind``:
    every caller, once."""

    kind: str | None
    arguments: str
    rest: tuple[str, str]
    denied: frozenset[str] = frozenset()
    # Readers refused on one object only (by its name).
    denied_on: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Readers whose outcome on one object is not the ILO's, and why (object -> caller -> type).
    differs_on: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # What a foreign object gets: NotFound when the arguments address it (REST's 404 on a
    # path), ValidationFailed when the input names it (REST's 422 on a body field),
    # Forbidden for a public object (a project) the caller has no role in.
    foreign: str = "NotFound"
    # Requests the ILO sends first (same savepoint) to bring the object to the state the
    # mutation needs: a value is submitted before it is validated.
    setup: tuple[tuple[str, str], ...] = ()


BUYERS = frozenset({"inditex", "adidas"})
TRAINERS = frozenset({"trainer_pk", "trainer_gh"})
USERS = frozenset({"user_pk", "user_gh"})
MANAGERS = frozenset({"pm_pk", "pm_gh"})
ANSWERS = (
    "{willingToShareOrderStatus: true, willingToShareBaselineData: true, ceoAttendsWorkshops: true}"
)
MUTATIONS: dict[str, dict[str, MutationCase]] = {
    "enrolment": {
        "Mutation.registerEnterprise": MutationCase(
            "partner",
            '(input: {name: "Matrix Knitwear", country: "PK", sector: "textile", '
            'partnerId: "{partner_id}"})',
            ("POST", "/enterprises"),
            denied=BUYERS | USERS | TRAINERS,
            foreign="ValidationFailed",
        ),
        "Mutation.updateEnterprise": MutationCase(
            "enterprise",
            '(id: "{enterprise_id}", input: {city: "Lahore"})',
            ("PATCH", "/enterprises/{enterprise_id}"),
            denied=BUYERS | TRAINERS,
        ),
        "Mutation.applyToCall": MutationCase(
            "enterprise",
            '(callId: "{call_pk}", input: {enterpriseId: "{enterprise_id}", answers: '
            + ANSWERS
            + "})",
            ("POST", "/calls/{call_id}/applications"),
            denied=MANAGERS | BUYERS | TRAINERS | {"mdpi"},
        ),
        "Mutation.answerCriteria": MutationCase(
            "application",
            '(applicationId: "{application_id}", input: {answers: ' + ANSWERS + "})",
            ("PATCH", "/applications/{application_id}"),
            denied=MANAGERS,
        ),
        "Mutation.enrolEnterprise": MutationCase(
            "enterprise",
            '(input: {projectId: "{project_pk}", enterpriseId: "{enterprise_id}"})',
            ("POST", "/enrolments"),
            denied=BUYERS | USERS | TRAINERS | {"pm_gh", "mdpi"},
            foreign="ValidationFailed",
        ),
        "Mutation.changeStage": MutationCase(
            "enrolment",
            '(enrolmentId: "{enrolment_id}", input: {toStage: dropped, reason: "Closed"})',
            ("POST", "/enrolments/{enrolment_id}/transitions"),
            denied=BUYERS | USERS | TRAINERS,
        ),
        "Mutation.giveConsent": MutationCase(
            "enterprise",
            '(enterpriseId: "{enterprise_id}", input: {buyerId: "{buyer_inditex}"})',
            ("POST", "/enterprises/{enterprise_id}/consents"),
            denied=MANAGERS | BUYERS | TRAINERS,
        ),
        "Mutation.withdrawConsent": MutationCase(
            "consent",
            '(enterpriseId: "{enterprise_id}", buyerId: "{buyer_id}", '
            'input: {reason: "Changed portal"})',
            ("POST", "/enterprises/{enterprise_id}/consents/{buyer_id}/withdraw"),
            denied=MANAGERS | BUYERS | TRAINERS,
        ),
        "Mutation.createCohort": MutationCase(
            "project",
            '(input: {projectId: "{project_id}", moduleCode: "workplace_cooperation", '
            'partnerId: "{partner_id}", name: "Another batch", enterpriseIds: [], trainerIds: []})',
            ("POST", "/cohorts"),
            denied=BUYERS | USERS | TRAINERS,
            foreign="ValidationFailed",
        ),
        "Mutation.setCohortEnterprises": MutationCase(
            "membership",
            '(cohortId: "{cohort_id}", input: {enterpriseIds: ["{enterprise_id}"]})',
            ("PUT", "/cohorts/{cohort_id}/enterprises"),
            denied=USERS | TRAINERS,
            # MDPI's list keeps EFP's enterprise it cannot see (trained with it, with delivery
            # recorded): the ILO's removes it, which that delivery refuses.
            differs_on={"membership in MDPI's cohort": {"mdpi": "Cohort"}},
        ),
        "Mutation.addParticipant": MutationCase(
            "membership",
            '(cohortId: "{cohort_id}", input: {enterpriseId: "{enterprise_id}", '
            'name: "Bilal", role: worker, sex: male})',
            ("POST", "/cohorts/{cohort_id}/participants"),
            denied=USERS,
        ),
        "Mutation.removeParticipant": MutationCase(
            "participant",
            '(cohortId: "{cohort_id}", participantId: "{participant_id}")',
            ("DELETE", "/cohorts/{cohort_id}/participants/{participant_id}"),
            denied=USERS,
            # Its enterprise is theirs, the cohort (MDPI's) is not.
            denied_on={"participant of EFP's shared enterprise": frozenset({"pm_pk", "efp"})},
        ),
        "Mutation.recordSession": MutationCase(
            "cohort",
            '(cohortId: "{cohort_id}", input: {dayNumber: 2, heldOn: "2019-02-05"})',
            ("POST", "/cohorts/{cohort_id}/sessions"),
            denied=USERS,
        ),
        "Mutation.recordAttendance": MutationCase(
            "session",
            '(sessionId: "{session_id}", input: [])',
            ("PUT", "/sessions/{session_id}/attendance"),
            denied=USERS,
        ),
        "Mutation.recordTrainerQuiz": MutationCase(
            "trainer",
            '(trainerId: "{trainer_id}", moduleCode: "workplace_cooperation", sessionNumber: 1, '
            'input: {score: 90, passMark: 70, takenOn: "2018-03-09"})',
            ("PUT", "/trainers/{trainer_id}/certifications/{module_code}/quizzes/{session_number}"),
            denied=MANAGERS | USERS | TRAINERS,
        ),
        "Mutation.createProgrammeEvent": MutationCase(
            "project",
            '(input: {projectId: "{project_id}", kind: alumni_meeting, title: "Alumni meeting", '
            'heldOn: "2021-06-03", online: true, organiser: "ILO"})',
            ("POST", "/programme-events"),
            denied=BUYERS | USERS | TRAINERS,
            foreign="ValidationFailed",
        ),
        "Mutation.updateProgrammeEvent": MutationCase(
            "programme_event",
            '(eventId: "{event_id}", input: {title: "Renamed"})',
            ("PATCH", "/programme-events/{event_id}"),
            denied=BUYERS | USERS | TRAINERS,
        ),
        "Mutation.cancelProgrammeEvent": MutationCase(
            "programme_event",
            '(eventId: "{event_id}", input: {reason: "Floods"})',
            ("POST", "/programme-events/{event_id}/cancel"),
            denied=BUYERS | USERS | TRAINERS,
        ),
        "Mutation.inviteToProgrammeEvent": MutationCase(
            "programme_event",
            '(eventId: "{event_id}", enterpriseId: "{enterprise_id}", input: {people: ["Nadia"]})',
            ("PUT", "/programme-events/{event_id}/invitations/{enterprise_id}"),
            denied=BUYERS | USERS | TRAINERS,
        ),
        "Mutation.recordProgrammeEventAttendance": MutationCase(
            "programme_event",
            '(eventId: "{event_id}", input: {attendees: [{enterpriseId: "{enterprise_id}", '
            'name: "Bilal", role: worker, sex: male}]})',
            ("PUT", "/programme-events/{event_id}/attendance"),
            denied=BUYERS | USERS | TRAINERS,
        ),
    },
    "indicators": {
        "Mutation.createRound": MutationCase(
            "project",
            '(input: {projectId: "{project_id}", kind: "follow_up", sequence: 7, '
            'name: "Follow-up", startsOn: "2020-01-01", endsOn: "2020-01-31"})',
            ("POST", "/rounds"),
            denied=BUYERS | USERS | TRAINERS,
            foreign="Forbidden",
        ),
        "Mutation.recordValues": MutationCase(
            "value",
            '(input: {values: [{enterpriseId: "{enterprise_id}", '
            'indicatorCode: "{indicator_code}", roundId: "{round_id}", value: "3"}]})',
            ("POST", "/values/batches"),
            denied=MANAGERS | BUYERS,
            foreign="ValidationFailed",
        ),
        "Mutation.submitValues": MutationCase(
            "value",
            '(input: {valueIds: ["{value_id}"]})',
            ("POST", "/values/submit"),
            denied=MANAGERS | BUYERS,
        ),
        "Mutation.validateValues": MutationCase(
            "value",
            '(input: {valueIds: ["{value_id}"]})',
            ("POST", "/values/validate"),
            setup=(("POST", "/values/{value_id}/submit"),),
            # Partners' staff entered the values they may read: four eyes.
            denied=BUYERS | USERS | TRAINERS | {"efp", "mdpi"},
        ),
        "Mutation.returnValue": MutationCase(
            "value",
            '(valueId: "{value_id}", input: {reason: "Check the register"})',
            ("POST", "/values/{value_id}/return"),
            setup=(("POST", "/values/{value_id}/submit"),),
            denied=BUYERS | USERS | TRAINERS,
        ),
        "Mutation.correctValue": MutationCase(
            "value",
            '(valueId: "{value_id}", input: {value: "5", reason: "The register shows 5"})',
            ("POST", "/values/{value_id}/corrections"),
            setup=(("POST", "/values/{value_id}/submit"), ("POST", "/values/{value_id}/validate")),
            denied=MANAGERS | BUYERS,
        ),
        "Mutation.createImprovementProject": MutationCase(
            "enterprise",
            '(enterpriseId: "{enterprise_id}", input: {moduleCode: "workplace_cooperation", '
            'title: "Suggestion box", category: "other"})',
            ("POST", "/enterprises/{enterprise_id}/improvement-projects"),
            denied=MANAGERS,
        ),
        "Mutation.updateImprovementProject": MutationCase(
            "improvement_project",
            '(id: "{improvement_project_id}", input: {status: "in_progress"})',
            ("PATCH", "/improvement-projects/{project_id}"),
            denied=MANAGERS,
        ),
        "Mutation.rateTraining": MutationCase(
            "participant",
            '(input: {enterpriseId: "{enterprise_id}", cohortId: "{cohort_id}", '
            'participantId: "{participant_id}", moduleCode: "workplace_cooperation", '
            "role: manager, sex: female, rating: 4})",
            ("POST", "/satisfaction-responses"),
            denied=MANAGERS | BUYERS,
            foreign="ValidationFailed",
        ),
        "Mutation.createBusinessCase": MutationCase(
            "improvement_project",
            '(enterpriseId: "{enterprise_id}", input: {improvementProjectId: '
            '"{improvement_project_id}", title: "Bins", problem: "Offcuts", actionTaken: "5S", '
            'result: "Clear aisles"})',
            ("POST", "/enterprises/{enterprise_id}/business-cases"),
            denied=MANAGERS | BUYERS,
        ),
        "Mutation.updateBusinessCase": MutationCase(
            "business_case",
            '(id: "{case_id}", input: {title: "Green bins"})',
            ("PATCH", "/business-cases/{case_id}"),
            denied=MANAGERS | BUYERS,
        ),
    },
    "reporting": {
        "Mutation.registerWebhook": MutationCase(
            None, '(input: {url: "http://receiver.test/hook"})', ("POST", "/webhooks")
        ),
        "Mutation.updateWebhook": MutationCase(
            "webhook",
            '(id: "{webhook_id}", input: {description: "Ours"})',
            ("PATCH", "/webhooks/{webhook_id}"),
        ),
        "Mutation.rotateWebhookSecret": MutationCase(
            "webhook", '(id: "{webhook_id}")', ("POST", "/webhooks/{webhook_id}/rotate-secret")
        ),
        "Mutation.redeliverWebhook": MutationCase(
            "webhook",
            '(id: "{webhook_id}", deliveryId: "{delivery_id}")',
            ("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
        ),
        "Mutation.deleteWebhook": MutationCase(
            "webhook", '(id: "{webhook_id}")', ("DELETE", "/webhooks/{webhook_id}")
        ),
    },
}
SCHEMAS: dict[str, SubgraphSchema] = {
    "enrolment": enrolment_schema,
    "indicators": indicators_schema,
    "reporting": reporting_schema,
}

# --- the apps, on one rolled-back transaction per database for the whole module ------------


@dataclass
class Platform:
    apps: dict[str, Api]
    world: TenancyWorld
    sessions: dict[str, AsyncSession]


@asynccontextmanager
async def module_session(url: str) -> AsyncIterator[AsyncSession]:
    """A part's session on ``url``, rolled back when the part ends, on an engine of its own
    whose savepoints (one per request) are named by depth (tests/savepoints.py)."""
    engine = depth_savepoint_engine(url)
    try:
        async with rolled_back_session(engine) as session:
            yield session
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def matrix_enrolment_session(enrolment_url: str) -> AsyncIterator[AsyncSession]:
    async with module_session(enrolment_url) as session:
        yield session


@pytest.fixture(scope="module")
async def matrix_indicators_session(indicators_url: str) -> AsyncIterator[AsyncSession]:
    async with module_session(indicators_url) as session:
        yield session


@pytest.fixture(scope="module")
async def matrix_reporting_session(reporting_url: str) -> AsyncIterator[AsyncSession]:
    async with module_session(reporting_url) as session:
        yield session


def enrolment_app(database: Database | None) -> FastAPI:
    return create_enrolment_app(EnrolmentSettings(platform=platform_settings()), database)


def indicators_app(database: Database | None) -> FastAPI:
    settings = IndicatorsSettings(
        platform=platform_settings(),
        feed_key=FEED_KEY_PEMS["indicators"],  # type: ignore[arg-type]
        consume_enrolment=False,
    )
    return create_indicators_app(settings, database)


# The apps' base URL (every app's: the requests name paths only).
BASE = "http://reporting.test"


@pytest.fixture(scope="module")
async def platform(
    matrix_enrolment_session: AsyncSession,
    matrix_indicators_session: AsyncSession,
    matrix_reporting_session: AsyncSession,
    enrolment_database: Database,
    indicators_database: Database,
    reporting_database: Database,
) -> AsyncIterator[Platform]:
    async with (
        session_api(
            enrolment_app(enrolment_database), enrolment_database, matrix_enrolment_session, BASE
        ) as enrolment,
        session_api(
            indicators_app(indicators_database),
            indicators_database,
            matrix_indicators_session,
            BASE,
        ) as indicators,
    ):
        reporting_app = create_reporting_app(
            reporting_settings(),
            database=reporting_database,
            feed_clients={"enrolment": enrolment.client, "indicators": indicators.client},
        )
        async with session_api(
            reporting_app, reporting_database, matrix_reporting_session, BASE
        ) as reporting:
            apps = Apps(enrolment, indicators, reporting)
            world = await build_world(
                apps, matrix_enrolment_session, matrix_indicators_session, matrix_reporting_session
            )
            yield Platform(
                apps={
                    "enrolment": apps.enrolment,
                    "indicators": apps.indicators,
                    "reporting": apps.reporting,
                },
                world=world,
                sessions={
                    "enrolment": matrix_enrolment_session,
                    "indicators": matrix_indicators_session,
                    "reporting": matrix_reporting_session,
                },
            )


# --- requests and their comparison ----------------------------------------------------------

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill(template: Any, values: Mapping[str, str]) -> Any:
    if isinstance(template, str):
        return PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: fill(item, values) for key, item in template.items()}
    return template


def random_twin(world: TenancyWorld, obj: Obj, caller: str) -> dict[str, str]:
    """The object's placeholders with its own id replaced by one nobody has, and the ids of
    its context (its enterprise, cohort ...) too unless the caller may see them: a consent
    of a visible supplier to another buyer is compared with a consent to a random buyer."""
    seen = world.seen_by(caller)
    return {
        **obj.fixed,
        **{
            name: value if value in seen and value != obj.id else str(uuid4())
            for name, value in obj.ids.items()
        },
    }


async def send(
    platform: Platform,
    service: str,
    method: str,
    path: str,
    case: Case,
    values: Mapping[str, str],
    caller: str,
) -> httpx.Response:
    values = {**platform.world.extras, **values}
    url = fill(case.url or path, values)
    kwargs: dict[str, Any] = {"params": fill(dict(case.params), values)}
    if case.files is not None:
        kwargs["files"] = {
            name: (filename, fill(content, values).encode())
            for name, (filename, content) in case.files.items()
        }
        if case.body is not None:
            kwargs["data"] = fill(case.body, values)  # the form's other fields
    elif case.body is not None:
        kwargs["json"] = fill(case.body, values)
    response = await platform.apps[service].request(
        method, url, as_=platform.world.principals[caller], **kwargs
    )
    return response


def masked(response: httpx.Response, ids: Sequence[str]) -> tuple[int, Any]:
    """The answer with the probed ids (and any generated id or time) masked."""
    text = response.text
    for value in ids:
        text = text.replace(value, "<id>")
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = text
    return response.status_code, _scrub(body)


_VOLATILE = {"generated_at", "data_as_of", "request_id"}


def _scrub(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: "<volatile>" if k in _VOLATILE else _scrub(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_scrub(item) for item in body]
    return body


def cases(entry: Entry) -> tuple[Case, ...]:
    if isinstance(entry, Case):
        return (entry,)
    if isinstance(entry, tuple):
        return entry
    return ()


# The matrix in parts, each a pytest-xdist group of its own that builds the world once (the
# module's ``platform``), so both workers share it; a service's probes stay in one part.
PARTS = {"enrolment": "enrolment", "indicators": "others", "reporting": "others"}
# The tests over every service go with the smaller part.
OTHERS = pytest.mark.xdist_group("tests/test_tenancy_matrix.py::others")


def in_part(service: str, *values: str) -> Any:
    """A parameter set of ``service``'s, in its part's group."""
    group = f"tests/test_tenancy_matrix.py::{PARTS[service]}"
    return pytest.param(service, *values, marks=pytest.mark.xdist_group(group))


def probes() -> list[Any]:
    return [
        in_part(service, method, path)
        for service, entries in MATRIX.items()
        for (method, path), entry in entries.items()
        if cases(entry)
    ]


WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# --- every route and field has an entry -----------------------------------------------------


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) and route.path != "/graphql":
            continue  # the framework's own pages: /docs, /openapi.json, /redoc
        for method in route.methods or {"GET", "POST"}:
            if method != "HEAD":
                found.add((method, str(route.path)))
    return found


@pytest.mark.parametrize(
    ("service", "factory"),
    [
        ("enrolment", lambda: enrolment_app(None)),
        ("indicators", lambda: indicators_app(None)),
        ("reporting", lambda: create_reporting_app(reporting_settings())),
    ],
)
def test_every_route_has_a_matrix_entry(service: str, factory: Callable[[], FastAPI]) -> None:
    routes = api_routes(factory())
    entries = set(MATRIX[service])
    missing = sorted(routes - entries)
    assert not missing, f"{service}: routes without a tenancy matrix entry: {missing}"
    assert not sorted(entries - routes), f"{service}: entries for routes that are gone"


@pytest.mark.parametrize("service", list(GRAPH))
def test_every_graphql_field_has_a_matrix_entry(service: str) -> None:
    schema = SCHEMAS[service]._schema
    query = schema.query_type
    assert query is not None
    roots = {f"Query.{name}" for name in query.fields if name not in ("_entities", "_service")}
    declared = {name for name in GRAPH[service] if name.startswith("Query.")}
    assert roots == declared, f"{service}: root fields without an entry: {roots ^ declared}"
    mutation = schema.mutation_type
    writes = {f"Mutation.{name}" for name in (mutation.fields if mutation else {})}
    declared = set(MUTATIONS.get(service, {}))
    assert writes == declared, f"{service}: mutations without an entry: {writes ^ declared}"
    enterprise = schema.type_map["Enterprise"]
    assert isinstance(enterprise, GraphQLObjectType)
    assert set(enterprise.fields) == ENTERPRISE_FIELDS[service]


# --- the matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "method", "path"), probes())
async def test_a_foreign_object_is_answered_as_a_random_id(
    platform: Platform, service: str, method: str, path: str
) -> None:
    world = platform.world
    differences = []
    for case in cases(MATRIX[service][(method, path)]):
        if case.kind is None:
            continue
        for caller in PRINCIPALS:
            for obj in world.of_kind(case.kind):
                if may_read(caller, obj, service, case):
                    continue
                twin = random_twin(world, obj, caller)
                foreign = await send(platform, service, method, path, case, obj.values(), caller)
                random = await send(platform, service, method, path, case, twin, caller)
                ids = [*obj.ids.values(), *twin.values()]
                if masked(foreign, ids) != masked(random, ids):
                    differences.append(
                        f"{caller} on {obj.name}: {foreign.status_code} {foreign.text[:300]} "
                        f"!= random id: {random.status_code} {random.text[:300]}"
                    )
                if method in WRITE:
                    assert foreign.status_code >= 400, (caller, obj.name, foreign.text)
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize(("service", "method", "path"), probes())
async def test_what_a_caller_reads_carries_no_id_it_may_not_see(
    platform: Platform, service: str, method: str, path: str
) -> None:
    if method != "GET":
        return
    world = platform.world
    problems = []
    for case in cases(MATRIX[service][(method, path)]):
        for caller in PRINCIPALS:
            secrets = world.secrets(caller)
            targets: list[Obj | None] = (
                [None]
                if case.kind is None
                else [o for o in world.of_kind(case.kind) if may_read(caller, o, service, case)]
            )
            for obj in targets:
                values = obj.values() if obj else {}
                response = await send(platform, service, method, path, case, values, caller)
                leaked = [name for secret, name in secrets.items() if secret in response.text]
                if leaked:
                    problems.append(f"{caller} reading {response.url} learns of {leaked}")
                if obj is not None and response.status_code == 404:
                    # A 404 about the object itself (not a part it lacks) treats it as absent.
                    twin = random_twin(world, obj, caller)
                    random = await send(platform, service, method, path, case, twin, caller)
                    ids = [*obj.ids.values(), *twin.values()]
                    if masked(response, ids) == masked(random, ids):
                        problems.append(f"{caller} may read {obj.name} but got {response.text}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("service", "method", "path"), probes())
async def test_writing_a_projects_records_needs_a_role_in_the_project(
    platform: Platform, service: str, method: str, path: str
) -> None:
    """Seeing a project (an enterprise user, a trainer) is no licence to write its records:
    only its writers may (the ILO, its manager, its partners' staff)."""
    if method not in WRITE:
        return
    world = platform.world
    for case in cases(MATRIX[service][(method, path)]):
        if case.kind not in ("project", "call"):
            continue
        for obj in world.of_kind(case.kind):
            for caller in sorted(obj.readers - obj.writers):
                response = await send(platform, service, method, path, case, obj.values(), caller)
                assert response.status_code in (403, 404, 422), (caller, obj.name, response.text)


@OTHERS
async def test_administration_is_for_the_ilo_only(platform: Platform) -> None:
    for service, entries in MATRIX.items():
        for (method, path), entry in entries.items():
            if not isinstance(entry, IloOnly):
                continue
            url = path.replace("{code}", "workplace_cooperation").replace(
                "{organisation_id}", str(uuid4())
            )
            for caller in PRINCIPALS:
                if caller == "ilo":
                    continue
                response = await platform.apps[service].request(
                    method, url, as_=platform.world.principals[caller], json=entry.body
                )
                assert response.status_code == 403, (service, method, path, caller, response.text)


@OTHERS
async def test_feeds_are_for_their_consumers_and_the_ilo_only(platform: Platform) -> None:
    for service in ("enrolment", "indicators"):
        api = platform.apps[service]
        for caller in PRINCIPALS:
            response = await api.get("/events", as_=platform.world.principals[caller])
            assert response.status_code == (200 if caller == "ilo" else 404), (service, caller)
        read = await api.get("/events", headers=feed_headers("reporting", service))
        assert read.status_code == 200
        # A feed token opens the feed, nothing else.
        other = await api.get("/graphql", headers=feed_headers("reporting", service))
        assert other.status_code == 401
    other_producer = await platform.apps["indicators"].get(
        "/events", headers=feed_headers("reporting", "enrolment")
    )
    assert other_producer.status_code == 401


@OTHERS
async def test_subgraphs_refuse_every_token_not_minted_for_the_graph(platform: Platform) -> None:
    for service in SCHEMAS:
        client = platform.apps[service].client
        for caller in PRINCIPALS:
            rest_token = headers_for(platform.world.principals[caller])
            for query in ("{ _service { sdl } }", "{ __schema { types { name } } }"):
                response = await client.post("/graphql", json={"query": query}, headers=rest_token)
                assert response.status_code == 401, (service, caller, response.text)
                assert response.json()["type"].endswith("/unauthenticated")


# --- GraphQL ---------------------------------------------------------------------------------


def selection(type_: GraphQLNamedType, depth: int = 3) -> str:
    """Every field of the type down to ``depth``, scalars and objects alike (arguments are
    left at their defaults; fields with required ones are skipped)."""
    return " ".join(selection_parts(type_, depth)) or "__typename"


def selection_parts(type_: GraphQLNamedType, depth: int = 3) -> list[str]:
    """``selection``'s fields, one per item, each starting with the field's name."""
    assert isinstance(type_, GraphQLObjectType)
    parts = []
    for name, field_ in type_.fields.items():
        if any(
            arg.default_value is None and str(arg.type).endswith("!")
            for arg in field_.args.values()
        ):
            continue
        named = get_named_type(field_.type)
        if is_leaf_type(named):
            parts.append(name)
        elif depth > 1:
            parts.append(f"{name} {{ {selection(named, depth - 1)} }}")
    return parts


def graph_query(service: str, name: str, case: GraphCase) -> str:
    schema = SCHEMAS[service]._schema
    if name == "Enterprise":
        fields = selection(schema.type_map["Enterprise"])
        return (
            '{ _entities(representations: [{__typename: "Enterprise", id: "{enterprise_id}"}]) '
            "{ ... on Enterprise { " + fields + " } } }"
        )
    root = name.removeprefix("Query.")
    query = schema.query_type
    assert query is not None
    named = get_named_type(query.fields[root].type)
    body = "" if is_leaf_type(named) else "{ " + selection(named) + " }"
    return "{ " + root + case.arguments + " " + body + " }"


def graph_probes() -> list[Any]:
    return [
        in_part(service, name)
        for service, fields in GRAPH.items()
        for name, case in fields.items()
        if isinstance(case, GraphCase)
    ]


async def ask(
    platform: Platform, service: str, query: str, values: Mapping[str, str], caller: str
) -> httpx.Response:
    known = {**platform.world.extras, **values}
    document = PLACEHOLDER.sub(lambda match: known[match.group(1)], query)
    response = await platform.apps[service].post(
        "/graphql", json={"query": document}, as_=platform.world.principals[caller]
    )
    return response


@pytest.mark.parametrize(("service", "name"), graph_probes())
async def test_graphql_answers_a_foreign_object_as_a_random_id_and_leaks_nothing(
    platform: Platform, service: str, name: str
) -> None:
    case = GRAPH[service][name]
    assert isinstance(case, GraphCase)
    query = graph_query(service, name, case)
    world = platform.world
    problems = []
    for caller in PRINCIPALS:
        secrets = world.secrets(caller)
        objects: list[Obj | None] = [None] if case.kind is None else list(world.of_kind(case.kind))
        for obj in objects:
            response = await ask(platform, service, query, obj.values() if obj else {}, caller)
            assert response.status_code == 200, response.text
            # The ids the caller asked about come back as asked (an entity always resolves
            # to its key); anything else it may not see must not.
            asked = set(obj.ids.values()) if obj else set()
            leaked = [
                label
                for secret, label in secrets.items()
                if secret in response.text and secret not in asked
            ]
            if leaked:
                problems.append(f"{caller} asking {name} of {obj and obj.name} learns of {leaked}")
            if obj is not None and not may_read(caller, obj, service):
                twin = random_twin(world, obj, caller)
                random = await ask(platform, service, query, twin, caller)
                ids = [*obj.ids.values(), *twin.values()]
                if masked(response, ids) != masked(random, ids):
                    problems.append(
                        f"{caller} on {obj.name}: {response.text[:300]} != {random.text[:300]}"
                    )
    assert not problems, "\n".join(problems)


# --- GraphQL mutations -----------------------------------------------------------------------

# The typed failure that answers each REST refusal (shared/mutations.py).
FAILURES = {403: "Forbidden", 404: "NotFound", 409: "Conflict", 422: "ValidationFailed"}


def mutation_document(service: str, name: str, case: MutationCase) -> str:
    """The mutation asking for every field of every member of its result union (aliased by
    member, so members' like-named fields of different types do not clash)."""
    mutation = SCHEMAS[service]._schema.mutation_type
    assert mutation is not None
    root = name.removeprefix("Mutation.")
    result = get_named_type(mutation.fields[root].type)
    members = result.types if isinstance(result, GraphQLUnionType) else [result]
    fragments = " ".join(
        "... on "
        + member.name
        + " { "
        + " ".join(
            f"{member.name}_{part.partition(' ')[0]}: {part}" for part in selection_parts(member)
        )
        + " }"
        for member in members
    )
    return "mutation { " + root + case.arguments + " { __typename " + fragments + " } }"


@asynccontextmanager
async def undone(session: AsyncSession) -> AsyncIterator[None]:
    """Whatever the requests inside write is rolled back after, so each mutation case starts
    from the same world (the requests' own commits release savepoints inside this one)."""
    connection = session.bind
    assert isinstance(connection, AsyncConnection)
    savepoint = await connection.begin_nested()
    try:
        yield
    finally:
        await savepoint.rollback()
        session.expunge_all()


@dataclass(frozen=True)
class Attempt:
    """One caller's mutation of one object (or of a random id standing for it)."""

    case: MutationCase
    obj: Obj | None
    values: Mapping[str, str]
    caller: str


@asynccontextmanager
async def prepared(platform: Platform, service: str, attempt: Attempt) -> AsyncIterator[None]:
    """A savepoint rolled back after, with the case's setup done in it (on the real object:
    a random id stands for it in an unchanged world)."""
    async with undone(platform.sessions[service]):
        state = {**platform.world.extras, **(attempt.obj.values() if attempt.obj else {})}
        for method, url in attempt.case.setup:
            response = await platform.apps[service].request(method, fill(url, state))
            assert response.status_code < 300, response.text
        yield


async def mutate_as(
    platform: Platform, service: str, document: str, attempt: Attempt
) -> tuple[str, httpx.Response]:
    async with prepared(platform, service, attempt):
        response = await ask(platform, service, document, attempt.values, attempt.caller)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), (attempt.caller, response.text)
    [result] = body["data"].values()
    return str(result["__typename"]), response


async def rest_as(platform: Platform, service: str, attempt: Attempt) -> httpx.Response:
    method, path = attempt.case.rest
    [rest] = cases(MATRIX[service][attempt.case.rest])
    async with prepared(platform, service, attempt):
        return await send(platform, service, method, path, rest, attempt.values, attempt.caller)


def mutation_probes() -> list[Any]:
    return [in_part(service, name) for service, fields in MUTATIONS.items() for name in fields]


@pytest.mark.parametrize(("service", "name"), mutation_probes())
async def test_graphql_mutations_answer_a_foreign_object_as_a_random_id_and_refuse_as_rest(
    platform: Platform, service: str, name: str
) -> None:
    """Each mutation, for every caller and object (each in a rolled-back savepoint): a
    foreign object answers ``NotFound`` exactly as a random id does; a reader who may not
    do it gets the typed form of the REST route's refusal; every other reader fares as the
    ILO does, who succeeds on some object; no answer leaks an id the caller may not see."""
    case = MUTATIONS[service][name]
    document = mutation_document(service, name, case)
    world = platform.world
    objects: list[Obj | None] = [None] if case.kind is None else list(world.of_kind(case.kind))
    problems = []
    ilo_succeeded = False
    ilo_answers: list[str] = []
    for obj in objects:
        values = obj.values() if obj else {}
        reference, first = await mutate_as(
            platform, service, document, Attempt(case, obj, values, "ilo")
        )
        ilo_succeeded |= reference not in FAILURES.values()
        ilo_answers.append(first.text[:300])
        for caller in (c for c in PRINCIPALS if c != "ilo"):  # the ILO: the reference
            attempt = Attempt(case, obj, values, caller)
            outcome, response = await mutate_as(platform, service, document, attempt)
            label = f"{caller} on {obj.name if obj else 'nothing'}"
            asked = set(obj.ids.values()) if obj else set()
            leaked = [
                what
                for secret, what in world.secrets(caller).items()
                if secret in response.text and secret not in asked
            ]
            if leaked:
                problems.append(f"{label} learns of {leaked}")
            object_name = obj.name if obj else ""
            denied = caller in case.denied or caller in case.denied_on.get(object_name, ())
            if obj is not None and not may_read(caller, obj, service):
                twin = Attempt(case, obj, random_twin(world, obj, caller), caller)
                _, random = await mutate_as(platform, service, document, twin)
                ids = [*obj.ids.values(), *twin.values.values()]
                if masked(response, ids) != masked(random, ids):
                    problems.append(f"{label}: {response.text[:300]} != {random.text[:300]}")
                # A caller refused outright (its role, a project not its own) is refused
                # alike for every id; anyone else is told the object does not exist.
                if outcome not in FAILURES.values() or (not denied and outcome != case.foreign):
                    problems.append(f"{label}: {outcome}, not {case.foreign}")
            elif denied:
                rest = await rest_as(platform, service, attempt)
                expected = FAILURES.get(rest.status_code, f"REST {rest.status_code}")
                if outcome != expected:
                    problems.append(f"{label}: {outcome}, REST answers {rest.status_code}")
            elif outcome != case.differs_on.get(object_name, {}).get(caller, reference):
                problems.append(f"{label}: {outcome}, the ILO {reference}: {response.text[:300]}")
    assert ilo_succeeded, f"{name}: the ILO succeeds on no object: {ilo_answers}"
    assert not problems, "\n".join(problems)
