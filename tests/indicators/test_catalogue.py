"""The indicator catalogue: the standard set as data, readable by every caller, changed only
by the ILO as numbered versions, never at the cost of recorded values."""

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.formulas import derive
from services.indicators.catalogue.models import Indicator, IndicatorVersion
from services.indicators.catalogue.schemas import Formula, IndicatorKind
from services.indicators.catalogue.service import catalogue_service
from services.indicators.catalogue.standard import (
    SEED_REASON,
    STANDARD_INDICATORS,
    ensure_standard_indicators,
)
from services.indicators.db import plumbing
from services.indicators.values.models import IndicatorValue
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import ILO, Api

PARTNER = Principal(subject="efp-officer", role=Role.partner_staff, organisation_id=uuid4())
MANAGER = Principal(subject="pk-manager", role=Role.programme_manager, project_id=uuid4())
TRAINER = Principal(subject="trainer-1", role=Role.trainer, trainer_id=uuid4())
BUYER = Principal(subject="inditex-portal", role=Role.lead_buyer, organisation_id=uuid4())
ENTERPRISE = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=uuid4())

STANDARD = {indicator.code: indicator for indicator in STANDARD_INDICATORS}


@pytest.fixture(autouse=True)
async def standard_set(indicators_session: AsyncSession) -> None:
    await ensure_standard_indicators(indicators_session)
    # Committed (a savepoint release here) so a refused request's rollback keeps it.
    await indicators_session.commit()


def new_indicator(code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name_en": "Rejected garments per line",
        "name_fr": "Vêtements rejetés par ligne",
        "name_es": "Prendas rechazadas por línea",
        "kind": "count",
        "unit": "garments",
        "direction": "down",
        "module_code": "quality_management",
        "disaggregations": ["sex"],
    }
    body.update(overrides)
    return body


async def create(api: Api, code: str, **overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = await api.created("/indicators", new_indicator(code, **overrides))
    return result


def fields_of(response: Any) -> dict[str, str]:
    return {error["field"]: error["rule"] for error in response.json()["errors"]}


async def record_value(session: AsyncSession, indicator_id: str) -> None:
    session.add(
        IndicatorValue(
            slot=f"test:{uuid4()}",
            enterprise_id=uuid4(),
            project_id=uuid4(),
            indicator_id=UUID(indicator_id),
            indicator_version=1,
            status="draft",
            entered_by="test",
            value=Decimal(7),
            sex="female",
        )
    )
    # Kept when the refused request below rolls back its own work.
    await session.commit()


# --- the standard set ------------------------------------------------------------------


def test_standard_set_has_numeric_and_yes_no_indicators_in_three_languages() -> None:
    kinds = [indicator.kind for indicator in STANDARD_INDICATORS]
    assert sum(kind is not IndicatorKind.yes_no for kind in kinds) >= 12
    assert kinds.count(IndicatorKind.yes_no) >= 8
    assert len(STANDARD) == len(STANDARD_INDICATORS), "codes are unique"
    for indicator in STANDARD_INDICATORS:
        assert indicator.module_code is not None, indicator.code
        names = {indicator.name_en, indicator.name_fr, indicator.name_es}
        assert len(names) == 3, f"{indicator.code} is not translated"
    assert STANDARD["absenteeism_rate"].name_fr == "Taux d'absentéisme"
    assert STANDARD["workforce"].disaggregations == ["sex", "role"]


def test_every_standard_formula_reads_numeric_indicators_of_the_set() -> None:
    derived = [indicator for indicator in STANDARD_INDICATORS if indicator.formula is not None]
    assert {indicator.code for indicator in derived} >= {
        "defect_rate",
        "accident_rate",
        "absenteeism_rate",
    }
    for indicator in derived:
        assert indicator.formula is not None
        for code in indicator.formula.inputs:
            assert code in STANDARD, f"{indicator.code} reads unknown {code}"
            source = STANDARD[code]
            assert source.kind is not IndicatorKind.yes_no
            assert set(indicator.disaggregations) <= set(source.disaggregations)
    assert STANDARD["accident_rate"].formula == Formula(
        numerator="accidents", denominator="hours_worked", multiplier=Decimal(200_000)
    )


async def test_seeding_adds_missing_standard_indicators_once_with_version_1(
    indicators_session: AsyncSession,
) -> None:
    assert await ensure_standard_indicators(indicators_session) == 0
    found = await catalogue_service.get_by_codes(indicators_session, [*STANDARD, "no_such"])
    assert found.keys() == STANDARD.keys()
    # One goes missing (e.g. a database seeded before it joined the set): only it comes back.
    await indicators_session.execute(delete(Indicator).where(col(Indicator.code) == "ppe_provided"))
    assert await ensure_standard_indicators(indicators_session) == 1
    ppe = await catalogue_service.get_by_code_or_404(indicators_session, "ppe_provided")
    assert (ppe.version, ppe.kind, ppe.min_value, ppe.max_value) == (1, "yes_no", None, None)
    [version] = (
        await indicators_session.exec(
            select(IndicatorVersion).where(IndicatorVersion.indicator_id == ppe.id)
        )
    ).all()
    assert (version.version, version.reason) == (1, SEED_REASON)
    assert version.definition["name_es"] == "Equipos de protección personal proporcionados"
    outbox = plumbing.outbox
    events = (
        await indicators_session.execute(
            select(outbox.c.event_type, outbox.c.payload).where(outbox.c.aggregate_id == ppe.id)
        )
    ).all()
    assert [(e.event_type, e.payload["code"]) for e in events] == [
        ("indicator.created", "ppe_provided")
    ]


async def test_seeding_keeps_ilo_changes_to_standard_indicators(
    indicators_api: Api, indicators_session: AsyncSession
) -> None:
    changed = await indicators_api.patch(
        "/indicators/energy_use",
        json={"unit": "GJ per month", "reason": "partners report energy in gigajoules"},
    )
    assert changed.status_code == 200, changed.text
    await ensure_standard_indicators(indicators_session)
    assert (await indicators_api.get("/indicators/energy_use")).json()["unit"] == "GJ per month"


# --- derived values --------------------------------------------------------------------


def formula_of(code: str) -> Formula:
    formula = STANDARD[code].formula
    assert formula is not None
    return formula


def test_derive_defect_rate_as_a_percentage_of_pieces_checked() -> None:
    inputs = {"defects": Decimal(12), "pieces_checked": Decimal(400)}
    assert derive(formula_of("defect_rate"), inputs) == Decimal(3)


def test_derive_accident_rate_per_200000_hours_worked() -> None:
    inputs = {"accidents": Decimal(3), "hours_worked": Decimal(450_000)}
    rate = derive(formula_of("accident_rate"), inputs)
    assert rate is not None
    assert round(rate, 4) == Decimal("1.3333")


def test_derive_absenteeism_rate_from_the_stored_formula() -> None:
    stored = formula_of("absenteeism_rate").model_dump(mode="json")  # as in Indicator.formula
    inputs = {"days_absent": Decimal(30), "scheduled_work_days": Decimal(600), "x": None}
    assert derive(stored, inputs) == Decimal(5)


@pytest.mark.parametrize(
    "inputs",
    [
        {"defects": Decimal(12)},
        {"defects": None, "pieces_checked": Decimal(400)},
        {"defects": Decimal(12), "pieces_checked": Decimal(0)},
        {"days_absent": Decimal(3), "scheduled_work_days": Decimal(20)},
    ],
    ids=["missing_denominator", "numerator_none", "zero_denominator", "other_inputs"],
)
def test_derive_gives_nothing_without_both_inputs_or_with_zero_denominator(
    inputs: dict[str, Decimal | None],
) -> None:
    assert derive(formula_of("defect_rate"), inputs) is None


# --- reading ---------------------------------------------------------------------------


@pytest.mark.parametrize("caller", [BUYER, PARTNER, TRAINER, ENTERPRISE, MANAGER, ILO])
async def test_any_signed_in_caller_reads_names_in_three_languages(
    indicators_api: Api, caller: Principal
) -> None:
    response = await indicators_api.get("/indicators/absenteeism_rate", as_=caller)
    assert response.status_code == 200
    body = response.json()
    assert (body["name_en"], body["name_fr"], body["name_es"]) == (
        "Absenteeism rate",
        "Taux d'absentéisme",
        "Tasa de ausentismo",
    )
    assert body["kind"] == "percentage"
    assert body["direction"] == "down"
    assert body["disaggregations"] == ["sex"]
    assert (Decimal(body["min_value"]), Decimal(body["max_value"])) == (Decimal(0), Decimal(100))
    assert body["formula"]["numerator"] == "days_absent"
    assert Decimal(body["formula"]["multiplier"]) == 100


async def test_catalogue_needs_a_signed_identity(indicators_api: Api) -> None:
    response = await indicators_api.client.get("/indicators")
    assert response.status_code == 401


async def test_unknown_indicator_is_404(indicators_api: Api) -> None:
    response = await indicators_api.get("/indicators/no_such_indicator", as_=BUYER)
    assert response.status_code == 404
    assert (await indicators_api.get("/indicators/defect_rate/versions/9")).status_code == 404


async def test_list_filters_by_kind_module_and_active(indicators_api: Api) -> None:
    practices = (await indicators_api.get("/indicators", params={"kind": "yes_no"})).json()
    assert {i["kind"] for i in practices["items"]} == {"yes_no"}
    assert {"osh_policy", "grievance_mechanism", "eit_in_place"} <= {
        i["code"] for i in practices["items"]
    }
    osh = (await indicators_api.get("/indicators", params={"module_code": "osh"})).json()
    assert {"accidents", "accident_rate", "osh_policy"} <= {i["code"] for i in osh["items"]}
    assert {i["module_code"] for i in osh["items"]} == {"osh"}
    retired = await indicators_api.patch(
        "/indicators/materials_usage", json={"active": False, "reason": "replaced by waste"}
    )
    assert retired.json()["active"] is False
    inactive = (await indicators_api.get("/indicators", params={"active": "false"})).json()
    assert [i["code"] for i in inactive["items"]] == ["materials_usage"]
    bad = await indicators_api.get("/indicators", params={"kind": "colour"})
    assert bad.status_code == 422
    assert fields_of(bad) == {"query.kind": "enum"}


async def test_list_pages_through_the_whole_catalogue_with_a_cursor(indicators_api: Api) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 7}
    while True:
        page = (await indicators_api.get("/indicators", params=params, as_=BUYER)).json()
        seen.extend(item["code"] for item in page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen))
    assert set(STANDARD) <= set(seen)


# --- changing --------------------------------------------------------------------------


@pytest.mark.parametrize("caller", [PARTNER, MANAGER, TRAINER, BUYER, ENTERPRISE])
async def test_only_the_ilo_adds_or_changes_indicators(
    indicators_api: Api, caller: Principal
) -> None:
    created = await indicators_api.post(
        "/indicators", json=new_indicator("rejected_garments"), as_=caller
    )
    assert created.status_code == 403
    changed = await indicators_api.patch(
        "/indicators/defect_rate", json={"direction": "up", "reason": "why not"}, as_=caller
    )
    assert changed.status_code == 403
    assert (await indicators_api.get("/indicators/rejected_garments")).status_code == 404
    assert (await indicators_api.get("/indicators/defect_rate")).json()["version"] == 1


async def test_every_change_is_a_version_with_who_and_why(
    indicators_api: Api, indicators_session: AsyncSession
) -> None:
    created = await create(indicators_api, "rejected_garments")
    assert created["version"] == 1
    renamed = await indicators_api.patch(
        "/indicators/rejected_garments",
        json={"name_en": "Garments rejected by buyers", "reason": "buyers' rejections only"},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["version"] == 2
    moved = await indicators_api.patch(
        "/indicators/rejected_garments",
        json={"module_code": "workplace_cooperation", "reason": "tracked by the EIT"},
    )
    assert moved.json()["version"] == 3
    unchanged = await indicators_api.patch(
        "/indicators/rejected_garments",
        json={"module_code": "workplace_cooperation", "reason": "same again"},
    )
    assert unchanged.json()["version"] == 3, "a request that changes nothing is no version"

    history = (await indicators_api.get("/indicators/rejected_garments/versions")).json()
    assert [(v["version"], v["reason"]) for v in history] == [
        (1, "indicator created"),
        (2, "buyers' rejections only"),
        (3, "tracked by the EIT"),
    ]
    assert {v["changed_by"] for v in history} == {"ilo_global:ilo-analyst"}
    assert history[0]["definition"]["name_en"] == "Rejected garments per line"
    assert history[2]["definition"]["module_code"] == "workplace_cooperation"
    first = (await indicators_api.get("/indicators/rejected_garments/versions/1")).json()
    assert first == history[0]

    outbox = plumbing.outbox
    events = (
        await indicators_session.execute(
            select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.aggregate_id == UUID(created["id"]))
            .order_by(outbox.c.position)
        )
    ).all()
    assert [e.event_type for e in events] == [
        "indicator.created",
        "indicator.changed",
        "indicator.changed",
    ]
    assert events[1].payload["changed_fields"] == ["name_en"]
    assert events[1].payload["definition_version"] == 2
    assert events[2].payload["reason"] == "tracked by the EIT"
    audit = plumbing.audit
    entries = (
        await indicators_session.execute(
            select(audit.c.action, audit.c.reason, audit.c.before, audit.c.after)
            .where(audit.c.entity_id == UUID(created["id"]))
            .order_by(audit.c.id)
        )
    ).all()
    assert [e.action for e in entries] == [
        "indicator.created",
        "indicator.changed",
        "indicator.changed",
    ]
    assert entries[1].before["name_en"] == "Rejected garments per line"
    assert entries[1].after["name_en"] == "Garments rejected by buyers"
    assert entries[2].reason == "tracked by the EIT"


async def test_a_change_needs_a_reason_and_never_the_code(indicators_api: Api) -> None:
    no_reason = await indicators_api.patch("/indicators/waste", json={"unit": "t"})
    assert no_reason.status_code == 422
    assert fields_of(no_reason) == {"body.reason": "missing"}
    recode = await indicators_api.patch(
        "/indicators/waste", json={"code": "solid_waste", "reason": "clearer name"}
    )
    assert recode.status_code == 422
    assert fields_of(recode) == {"body.code": "extra_forbidden"}
    cleared = await indicators_api.patch(
        "/indicators/waste", json={"name_fr": None, "reason": "no French name"}
    )
    assert cleared.status_code == 422
    assert "body.name_fr" in fields_of(cleared)
    assert (await indicators_api.get("/indicators/waste")).json()["version"] == 1


async def test_a_code_is_catalogued_once(indicators_api: Api) -> None:
    response = await indicators_api.post("/indicators", json=new_indicator("defect_rate"))
    assert response.status_code == 409
    assert fields_of(response) == {"body.code": "unique"}


async def test_bad_definitions_name_the_field_and_rule(indicators_api: Api) -> None:
    response = await indicators_api.post(
        "/indicators",
        json=new_indicator("Bad Code", kind="weight", direction="sideways", colour="red"),
    )
    assert response.status_code == 422
    assert fields_of(response) == {
        "body.code": "string_pattern_mismatch",
        "body.kind": "enum",
        "body.direction": "enum",
        "body.colour": "extra_forbidden",
    }
    no_unit = await indicators_api.post("/indicators", json=new_indicator("no_unit", unit=None))
    assert fields_of(no_unit) == {"body.unit": "unit_required"}
    twice = await indicators_api.post(
        "/indicators", json=new_indicator("twice", disaggregations=["sex", "sex"])
    )
    assert fields_of(twice) == {"body.disaggregations": "unique"}


# --- bounds ----------------------------------------------------------------------------


async def test_percentage_bounds_default_to_0_100_and_stay_within(indicators_api: Api) -> None:
    share = await create(
        indicators_api, "women_supervisors", kind="percentage", unit="% of supervisors"
    )
    assert (Decimal(share["min_value"]), Decimal(share["max_value"])) == (Decimal(0), Decimal(100))
    above = await indicators_api.post(
        "/indicators",
        json=new_indicator("over_100", kind="percentage", unit="%", max_value=150),
    )
    assert above.status_code == 422
    assert fields_of(above) == {"body.max_value": "percentage_bounds"}
    below = await indicators_api.post(
        "/indicators",
        json=new_indicator("under_0", kind="percentage", unit="%", min_value=-5),
    )
    assert fields_of(below) == {"body.min_value": "percentage_bounds"}
    widened = await indicators_api.patch(
        "/indicators/women_supervisors", json={"max_value": "120", "reason": "overshoot"}
    )
    assert widened.status_code == 422
    assert fields_of(widened) == {"body.max_value": "percentage_bounds"}
    narrowed = await indicators_api.patch(
        "/indicators/women_supervisors", json={"max_value": "60", "reason": "60% is the cap"}
    )
    assert Decimal(narrowed.json()["max_value"]) == 60


async def test_bounds_are_ordered_and_yes_no_has_none(indicators_api: Api) -> None:
    reversed_bounds = await indicators_api.post(
        "/indicators", json=new_indicator("reversed", min_value=10, max_value=5)
    )
    assert fields_of(reversed_bounds) == {"body.max_value": "bounds_order"}
    bounded_practice = await indicators_api.post(
        "/indicators",
        json=new_indicator(
            "canteen", kind="yes_no", unit=None, disaggregations=[], min_value=0, max_value=1
        ),
    )
    assert fields_of(bounded_practice) == {
        "body.min_value": "no_bounds",
        "body.max_value": "no_bounds",
    }
    split_practice = await indicators_api.post(
        "/indicators", json=new_indicator("day_care", kind="yes_no", unit=None)
    )
    assert fields_of(split_practice) == {"body.disaggregations": "yes_no_not_disaggregated"}
    practice = await create(
        indicators_api, "day_care", kind="yes_no", unit=None, disaggregations=[]
    )
    assert (practice["unit"], practice["min_value"], practice["max_value"]) == (
        "yes/no",
        None,
        None,
    )


# --- formulas --------------------------------------------------------------------------


async def test_formula_inputs_must_be_numeric_catalogued_other_indicators(
    indicators_api: Api,
) -> None:
    def derived(code: str, numerator: str, denominator: str) -> dict[str, Any]:
        return new_indicator(
            code,
            kind="percentage",
            unit="%",
            disaggregations=[],
            formula={"numerator": numerator, "denominator": denominator, "multiplier": 100},
        )

    unknown = await indicators_api.post(
        "/indicators", json=derived("rework_rate", "reworked_pieces", "pieces_checked")
    )
    assert unknown.status_code == 422
    assert fields_of(unknown) == {"body.formula.numerator": "indicator"}
    practice = await indicators_api.post(
        "/indicators", json=derived("odd_rate", "defects", "osh_policy")
    )
    assert fields_of(practice) == {"body.formula.denominator": "numeric"}
    itself = await indicators_api.post(
        "/indicators", json=derived("self_rate", "self_rate", "pieces_checked")
    )
    assert fields_of(itself) == {"body.formula.numerator": "not_self"}
    created = await indicators_api.post(
        "/indicators", json=derived("reject_rate", "defects", "pieces_checked")
    )
    assert created.status_code == 201, created.text


async def test_a_derived_indicator_by_sex_needs_inputs_by_sex(indicators_api: Api) -> None:
    response = await indicators_api.post(
        "/indicators",
        json=new_indicator(
            "defect_rate_by_sex",
            kind="percentage",
            unit="%",
            formula={"numerator": "defects", "denominator": "pieces_checked", "multiplier": 100},
        ),
    )
    assert response.status_code == 422
    assert fields_of(response) == {
        "body.formula.numerator": "disaggregation",
        "body.formula.denominator": "disaggregation",
    }


async def test_formulas_cannot_go_round_in_a_circle(indicators_api: Api) -> None:
    await create(indicators_api, "line_output", disaggregations=[])
    await create(
        indicators_api,
        "output_per_defect",
        kind="rate",
        unit="pieces per defect",
        disaggregations=[],
        formula={"numerator": "line_output", "denominator": "defects"},
    )
    circular = await indicators_api.patch(
        "/indicators/line_output",
        json={
            "formula": {"numerator": "output_per_defect", "denominator": "defects"},
            "reason": "derive it",
        },
    )
    assert circular.status_code == 422
    assert fields_of(circular) == {"body.formula": "no_cycle"}
    assert "line_output -> output_per_defect -> line_output" in circular.text


async def test_an_input_keeps_the_shape_its_derived_indicators_need(indicators_api: Api) -> None:
    response = await indicators_api.patch(
        "/indicators/days_absent", json={"disaggregations": [], "reason": "totals only"}
    )
    assert response.status_code == 409
    assert fields_of(response) == {"body.disaggregations": "formula_input"}
    assert "absenteeism_rate" in response.text
    practice = await indicators_api.patch(
        "/indicators/defects",
        json={"kind": "yes_no", "unit": None, "disaggregations": [], "reason": "any defects?"},
    )
    assert practice.status_code == 409
    assert fields_of(practice) == {"body.kind": "formula_input"}


# --- shape changes and recorded values -------------------------------------------------


async def test_changing_disaggregations_with_recorded_values_is_refused(
    indicators_api: Api, indicators_session: AsyncSession
) -> None:
    indicator = await create(indicators_api, "rejected_garments")
    await record_value(indicators_session, indicator["id"])
    response = await indicators_api.patch(
        "/indicators/rejected_garments",
        json={"disaggregations": ["sex", "role"], "reason": "split by role too"},
    )
    assert response.status_code == 409
    problem = response.json()
    assert fields_of(response) == {"body.disaggregations": "values_exist"}
    assert problem["value_count"] == 1
    assert "1 recorded value(s)" in problem["detail"]
    assert "orphan" in problem["detail"]
    kind = await indicators_api.patch(
        "/indicators/rejected_garments",
        json={"kind": "rate", "unit": "per 100 garments", "reason": "normalise"},
    )
    assert kind.status_code == 409
    assert fields_of(kind) == {"body.kind": "values_exist", "body.unit": "values_exist"}
    # Nothing changed, and the value is still there.
    current = (await indicators_api.get("/indicators/rejected_garments")).json()
    assert (current["version"], current["disaggregations"], current["kind"]) == (
        1,
        ["sex"],
        "count",
    )
    history = (await indicators_api.get("/indicators/rejected_garments/versions")).json()
    assert len(history) == 1
    values = await indicators_session.exec(
        select(IndicatorValue).where(IndicatorValue.indicator_id == UUID(indicator["id"]))
    )
    assert len(values.all()) == 1
    # Changes that keep the values' meaning still go through.
    renamed = await indicators_api.patch(
        "/indicators/rejected_garments",
        json={"name_es": "Prendas rechazadas", "reason": "shorter"},
    )
    assert renamed.status_code == 200
    assert renamed.json()["version"] == 2


async def test_changing_the_unit_of_recorded_values_is_refused(
    indicators_api: Api, indicators_session: AsyncSession
) -> None:
    """Values recorded in kWh read as GJ once the unit changes: a baseline of 10000 kWh and
    an endline of 30 GJ would be published as a 99.7% cut in energy use."""
    indicator = await create(indicators_api, "rejected_garments")
    await record_value(indicators_session, indicator["id"])

    response = await indicators_api.patch(
        "/indicators/rejected_garments",
        json={"unit": "dozens of garments", "reason": "partners count in dozens"},
    )

    assert response.status_code == 409
    assert fields_of(response) == {"body.unit": "values_exist"}
    current = (await indicators_api.get("/indicators/rejected_garments")).json()
    assert (current["version"], current["unit"]) == (1, "garments")

    # Spelt anew, the unit still means what the values were given in: a correction is fine.
    respelt = await indicators_api.patch(
        "/indicators/rejected_garments", json={"unit": "Garments", "reason": "capitalised"}
    )
    assert respelt.status_code == 200, respelt.text
    assert (respelt.json()["version"], respelt.json()["unit"]) == (2, "Garments")


async def test_changing_disaggregations_without_values_is_a_new_version(
    indicators_api: Api,
) -> None:
    await create(indicators_api, "rejected_garments")
    response = await indicators_api.patch(
        "/indicators/rejected_garments",
        json={"disaggregations": ["role", "sex"], "reason": "managers and workers apart"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["disaggregations"] == ["sex", "role"]
    assert response.json()["version"] == 2
    as_percentage = await indicators_api.patch(
        "/indicators/rejected_garments",
        json={"kind": "percentage", "unit": "% of garments", "reason": "share, not count"},
    )
    assert as_percentage.status_code == 200, as_percentage.text
    body = as_percentage.json()
    assert (body["kind"], Decimal(body["min_value"]), Decimal(body["max_value"])) == (
        "percentage",
        Decimal(0),
        Decimal(100),
    )
