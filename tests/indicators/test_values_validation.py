"""Value validation: every rule rejects with its own name, per value, and nothing is written."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.values.schemas import ValueIn
from services.indicators.values.validation import (
    CheckedRow,
    IndicatorInfo,
    RoundInfo,
    RowContext,
    SlotsToLoad,
    _groups_of,
    check_row,
    slot_key,
)
from shared.enums import ParticipantRole, Sex
from tests.enrolment.support import Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.values_support import (
    LAST_YEAR,
    IndicatorRef,
    accepted_ids,
    count_events,
    count_indicator,
    count_values,
    errors_of,
    make_indicator,
    make_round,
    post_batch,
    rules_at,
    value,
)

# Every test here stands on the module's world (built once): one that doesn't name it
# would otherwise wait forever on the outbox lock the world's open transaction holds.
pytestmark = pytest.mark.usefixtures("indicators_world_baseline")
__all__ = ["indicators_world", "indicators_world_baseline"]


@dataclass
class Capture:
    world: IndicatorsWorld
    count: IndicatorRef
    by_sex: IndicatorRef
    rate_by_sex: IndicatorRef
    percentage: IndicatorRef
    practice: IndicatorRef
    amount: IndicatorRef
    baseline_id: str
    ghana_baseline_id: str


@pytest.fixture
async def capture(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> Capture:
    world = indicators_world.world
    return Capture(
        world=indicators_world,
        count=await make_indicator(indicators_session, kind="count", min_value=0, max_value=1000),
        by_sex=await make_indicator(indicators_session, kind="count", disaggregations=["sex"]),
        rate_by_sex=await make_indicator(indicators_session, kind="rate", disaggregations=["sex"]),
        percentage=await make_indicator(indicators_session, kind="percentage"),
        practice=await make_indicator(indicators_session, kind="yes_no"),
        amount=await make_indicator(indicators_session, kind="amount"),
        baseline_id=await make_round(indicators_api, world.pakistan_project_id),
        ghana_baseline_id=await make_round(indicators_api, world.ghana_project_id),
    )


def month(number: int) -> date:
    return LAST_YEAR.replace(month=number)


async def test_every_rule_names_each_invalid_value_and_nothing_is_written(
    indicators_api: Api, capture: Capture, indicators_session: AsyncSession
) -> None:
    w = capture.world
    efp = w.efp_enterprise_id
    next_month = (date.today().replace(day=28) + timedelta(days=10)).replace(day=1)
    batch = [
        value(efp, capture.count, 12),
        value(efp, "no_such_indicator", 1),
        value(efp, capture.practice, 3),
        value(efp, capture.count, "2.5", month=month(2)),
        value(efp, capture.count, 5000, month=month(9)),
        value(efp, capture.percentage, 120),
        {**value(efp, capture.count, 1, round_id=capture.baseline_id), "month": "2020-04-01"},
        value(efp, capture.count, 1, month=None, round_id=capture.ghana_baseline_id),
        value(efp, capture.count, 1, month=next_month),
        value(efp, capture.count, 1, month=month(5), sex="female"),
        value(efp, capture.by_sex, 22),
        value(efp, capture.by_sex, 10, month=month(2), sex="female"),
        value(efp, capture.by_sex, 12, month=month(2), sex="male"),
        value(efp, capture.by_sex, 30, month=month(2)),
        value(efp, capture.amount, 150000),
        value(efp, capture.count, 3, month=month(6), currency="PKR"),
        value(w.not_enrolled_enterprise_id, capture.count, 1),
        value(uuid4(), capture.count, 1),
        value(w.mdpi_enterprise_id, capture.count, 1),
        value(efp, capture.count, 7, month=month(7)),
        value(efp, capture.count, 8, month=month(7)),
        value(efp, capture.count, None, month=month(8)),
    ]
    expected = {
        1: {("indicator_code", "indicator_exists")},
        2: {("value", "type")},
        3: {("value", "type")},
        4: {("value", "bounds")},
        5: {("value", "percentage_range")},
        6: {("round_id", "period")},
        7: {("round_id", "period")},
        8: {("month", "month_not_future")},
        9: {("sex", "disaggregation_allowed")},
        10: {("sex", "required_disaggregation")},
        11: {("value", "parts_add_up")},
        12: {("value", "parts_add_up")},
        13: {("value", "parts_add_up")},
        14: {("currency", "currency")},
        15: {("currency", "currency")},
        16: {("enterprise_id", "enrolled")},
        17: {("enterprise_id", "unknown_enterprise")},
        18: {("enterprise_id", "unknown_enterprise")},
        19: {("value", "duplicate_in_batch")},
        20: {("value", "duplicate_in_batch")},
        21: {("value", "type")},
    }
    values_before = await count_values(indicators_session)
    events_before = await count_events(indicators_session)

    response = await post_batch(indicators_api, batch, as_=w.world.efp_staff, submit=True)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/validation-error")
    assert problem["rejected"] == len(expected)
    found = errors_of(response)
    for index, wanted in expected.items():
        assert {(f"body.values.{index}.{f}", rule) for f, rule in wanted} <= found, index
        assert rules_at(response, index) == {rule for _, rule in wanted}, index
    assert rules_at(response, 0) == set()
    assert all(error["message"] for error in problem["errors"])
    assert await count_values(indicators_session) == values_before
    assert await count_events(indicators_session) == events_before


async def test_parts_must_add_up_to_the_total_stored_earlier(
    indicators_api: Api, capture: Capture, indicators_session: AsyncSession
) -> None:
    efp, staff = capture.world.efp_enterprise_id, capture.world.world.efp_staff
    await accepted_ids(
        indicators_api,
        [
            value(efp, capture.by_sex, 120, sex="female"),
            value(efp, capture.by_sex, 80, sex="male"),
        ],
        as_=staff,
    )
    before = await count_values(indicators_session)

    wrong = await post_batch(indicators_api, [value(efp, capture.by_sex, 210)], as_=staff)

    assert wrong.status_code == 422
    [error] = wrong.json()["errors"]
    assert error["rule"] == "parts_add_up"
    assert error["message"] == "female (120) + male (80) = 200, but the total is 210"
    assert await count_values(indicators_session) == before
    right = await post_batch(indicators_api, [value(efp, capture.by_sex, 200)], as_=staff)
    assert right.status_code == 201, right.text


async def test_stored_parts_satisfy_the_sex_disaggregation_of_a_later_total(
    indicators_api: Api, capture: Capture
) -> None:
    efp, staff = capture.world.efp_enterprise_id, capture.world.world.efp_staff
    only_female = await post_batch(
        indicators_api, [value(efp, capture.by_sex, 40, sex="female")], as_=staff
    )
    assert only_female.status_code == 422
    assert "missing: male" in only_female.json()["errors"][0]["message"]
    await accepted_ids(
        indicators_api,
        [value(efp, capture.by_sex, 40, sex="female"), value(efp, capture.by_sex, 60, sex="male")],
        as_=staff,
    )
    total = await post_batch(indicators_api, [value(efp, capture.by_sex, 100)], as_=staff)
    assert total.status_code == 201, total.text


async def test_rates_by_sex_are_not_summed_into_the_total(
    indicators_api: Api, capture: Capture
) -> None:
    efp = capture.world.efp_enterprise_id
    response = await post_batch(
        indicators_api,
        [
            value(efp, capture.rate_by_sex, "2.5", sex="female"),
            value(efp, capture.rate_by_sex, "3.0", sex="male"),
            value(efp, capture.rate_by_sex, "2.8"),
        ],
        as_=capture.world.world.efp_staff,
    )
    assert response.status_code == 201, response.text


async def test_a_part_rejected_for_another_reason_does_not_count_as_given(
    indicators_api: Api, capture: Capture
) -> None:
    efp = capture.world.efp_enterprise_id
    response = await post_batch(
        indicators_api,
        [
            value(efp, capture.by_sex, "1.5", sex="female"),
            value(efp, capture.by_sex, 10, sex="male"),
        ],
        as_=capture.world.world.efp_staff,
        mode="per_row",
    )
    assert response.status_code == 201
    first, second = response.json()["results"]
    assert first["status"] == second["status"] == "rejected"
    [missing] = second["errors"]
    assert missing["rule"] == "required_disaggregation"
    assert "female part (position 0) is itself invalid" in missing["message"]


async def test_unknown_and_other_tenants_enterprises_read_the_same(
    indicators_api: Api, capture: Capture
) -> None:
    w = capture.world
    unknown = uuid4()
    response = await post_batch(
        indicators_api,
        [value(unknown, capture.count, 1), value(w.mdpi_enterprise_id, capture.count, 1)],
        as_=w.world.efp_staff,
    )
    first, second = response.json()["errors"]
    assert first["rule"] == second["rule"] == "unknown_enterprise"
    assert first["message"].replace(str(unknown), "X") == second["message"].replace(
        str(w.mdpi_enterprise_id), "X"
    )


async def test_current_month_is_accepted_and_next_month_refused(
    indicators_api: Api, capture: Capture
) -> None:
    efp, staff = capture.world.efp_enterprise_id, capture.world.world.efp_staff
    today = date.today()
    this_month = await post_batch(
        indicators_api, [value(efp, capture.count, 4, month=today)], as_=staff
    )
    assert this_month.status_code == 201, this_month.text
    next_month = (today.replace(day=28) + timedelta(days=10)).replace(day=15)
    future = await post_batch(
        indicators_api, [value(efp, capture.count, 4, month=next_month)], as_=staff
    )
    assert future.status_code == 422
    assert errors_of(future) == {("body.values.0.month", "month_not_future")}


async def test_enterprise_not_yet_at_baseline_is_refused(
    indicators_api: Api, capture: Capture
) -> None:
    w = capture.world
    response = await post_batch(
        indicators_api,
        [value(w.not_enrolled_enterprise_id, capture.count, 5, round_id=capture.baseline_id)],
        as_=w.world.efp_staff,
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["rule"] == "enrolled"
    assert "expression_of_interest" in error["message"]


async def test_monthly_value_for_a_project_the_enterprise_is_not_in_is_refused(
    indicators_api: Api, capture: Capture
) -> None:
    w = capture.world
    response = await post_batch(
        indicators_api,
        [value(w.efp_enterprise_id, capture.count, 5, project_id=str(w.world.ghana_project_id))],
        as_=w.world.efp_staff,
    )
    assert errors_of(response) == {("body.values.0.project_id", "enrolled")}


async def test_round_of_the_enterprises_project_is_accepted(
    indicators_api: Api, capture: Capture
) -> None:
    w = capture.world
    response = await post_batch(
        indicators_api,
        [value(w.efp_enterprise_id, capture.practice, True, round_id=capture.baseline_id)],
        as_=w.world.efp_staff,
    )
    assert response.status_code == 201, response.text
    stored = await indicators_api.get(
        f"/values/{response.json()['results'][0]['value_id']}", as_=w.world.efp_staff
    )
    assert stored.json()["value"] is True
    assert stored.json()["round_id"] == capture.baseline_id
    assert stored.json()["project_id"] == str(w.world.pakistan_project_id)


async def test_retired_indicator_takes_no_new_values(
    indicators_api: Api, capture: Capture, indicators_session: AsyncSession
) -> None:
    retired = await make_indicator(indicators_session, active=False)
    response = await post_batch(
        indicators_api,
        [value(capture.world.efp_enterprise_id, retired, 1)],
        as_=capture.world.world.efp_staff,
    )
    assert errors_of(response) == {("body.values.0.indicator_code", "indicator_active")}


async def test_unknown_fields_and_malformed_values_are_named(
    indicators_api: Api, capture: Capture
) -> None:
    efp = capture.world.efp_enterprise_id
    response = await post_batch(
        indicators_api,
        [
            {**value(efp, capture.count, 1), "colour": "red"},
            value(efp, capture.amount, 10, currency="XYZ"),
        ],
        as_=capture.world.world.efp_staff,
    )
    assert response.status_code == 422
    fields = {error["field"]: error["rule"] for error in response.json()["errors"]}
    assert fields["body.values.0.colour"] == "extra_forbidden"
    assert "body.values.1.currency" in fields


async def test_amount_with_its_currency_is_stored_with_it(
    indicators_api: Api, capture: Capture
) -> None:
    staff = capture.world.world.efp_staff
    [value_id] = await accepted_ids(
        indicators_api,
        [value(capture.world.efp_enterprise_id, capture.amount, "1250000.50", currency="pkr")],
        as_=staff,
    )
    stored = (await indicators_api.get(f"/values/{value_id}", as_=staff)).json()
    assert stored["currency"] == "PKR"
    assert stored["value"] == "1250000.50"


async def test_figures_beyond_20_digits_either_side_of_the_point_are_refused_by_name(
    indicators_api: Api, capture: Capture, indicators_session: AsyncSession
) -> None:
    # Decimals go as strings, so the JSON number rules do not bound them: unbounded, 1e131072
    # was stored as 0 by the database driver and 1e999999999 failed the write with a 500.
    efp, staff = capture.world.efp_enterprise_id, capture.world.world.efp_staff
    figures = {
        "1e131072": "decimal_max_digits",
        "1e999999999": "decimal_max_digits",
        "123456789012345678901": "decimal_whole_digits",
        "0.000000000000000000001": "decimal_max_places",
    }
    values_before = await count_values(indicators_session)

    response = await post_batch(
        indicators_api,
        [
            value(efp, capture.amount, figure, currency="PKR", month=month(index + 1))
            for index, figure in enumerate(figures)
        ],
        as_=staff,
    )

    assert response.status_code == 422, response.text
    for index, rule in enumerate(figures.values()):
        assert (f"body.values.{index}.value.decimal", rule) in errors_of(response), index
    assert await count_values(indicators_session) == values_before
    # The largest and the finest figure the bound leaves are kept exactly.
    widest = "99999999999999999999.99999999999999999999"
    [value_id] = await accepted_ids(
        indicators_api, [value(efp, capture.amount, widest, currency="PKR")], as_=staff
    )
    stored = (await indicators_api.get(f"/values/{value_id}", as_=staff)).json()
    assert stored["value"] == widest


async def test_every_sex_category_given_adds_up_to_the_total(
    indicators_api: Api, capture: Capture, indicators_session: AsyncSession
) -> None:
    efp, staff = capture.world.efp_enterprise_id, capture.world.world.efp_staff
    before = await count_values(indicators_session)
    wrong = await post_batch(
        indicators_api,
        [
            value(efp, capture.by_sex, 50, sex="female"),
            value(efp, capture.by_sex, 40, sex="male"),
            value(efp, capture.by_sex, 3, sex="other"),
            value(efp, capture.by_sex, 2, sex="not_disclosed"),
            value(efp, capture.by_sex, 90),
        ],
        as_=staff,
    )
    assert wrong.status_code == 422
    messages = {error["message"] for error in wrong.json()["errors"]}
    assert messages == {
        "female (50) + male (40) + other (3) + not_disclosed (2) = 95, but the total is 90"
    }
    assert await count_values(indicators_session) == before
    right = await post_batch(
        indicators_api,
        [
            value(efp, capture.by_sex, 50, sex="female"),
            value(efp, capture.by_sex, 40, sex="male"),
            value(efp, capture.by_sex, 3, sex="other"),
            value(efp, capture.by_sex, 2, sex="not_disclosed"),
            value(efp, capture.by_sex, 95),
        ],
        as_=staff,
    )
    assert right.status_code == 201, right.text


def test_batch_rows_carry_the_slot_key_other_lookups_use() -> None:
    """Rows build their slot with cached id texts; derived values and the benchmark find
    slots with ``slot_key``: both must spell a slot the same way."""
    project_id, enterprise_id, round_id = uuid4(), uuid4(), uuid4()
    indicator = count_indicator("workers", disaggregations=("sex",))
    context = RowContext(
        indicators={"workers": indicator},
        enrolments={enterprise_id: {project_id: "level1"}},
        rounds={
            round_id: RoundInfo(id=round_id, project_id=project_id, kind="baseline", sequence=1)
        },
        today=date(2026, 12, 3),
    )
    by_round = CheckedRow(
        index=0,
        data=ValueIn(
            enterprise_id=enterprise_id,
            indicator_code="workers",
            round_id=round_id,
            sex=Sex.female,
            value=Decimal(12),
        ),
    )
    by_month = CheckedRow(
        index=1,
        data=ValueIn(
            enterprise_id=enterprise_id,
            indicator_code="workers",
            month=date(2026, 11, 17),
            value=Decimal(30),
        ),
    )
    for row in (by_round, by_month):
        check_row(row, context)
        assert row.ok, row.errors
    assert by_round.slot == slot_key(enterprise_id, indicator.id, round_id, None, "female", None)
    assert by_month.slot == slot_key(
        enterprise_id, indicator.id, None, date(2026, 11, 1), None, None
    )


def test_values_sharing_an_enterprise_and_period_each_get_its_errors_at_their_position() -> None:
    """The period rules run once per enterprise, period and project; each value still gets
    their errors at its own position, naming its own month."""
    project_id, enterprise_id = uuid4(), uuid4()
    indicator = count_indicator("workers", disaggregations=("sex",))
    context = RowContext(
        indicators={"workers": indicator},
        enrolments={enterprise_id: {project_id: "level1"}},
        rounds={},
        today=date(2026, 12, 3),
    )
    rows = [
        CheckedRow(
            index=index,
            data=ValueIn(
                enterprise_id=enterprise_id,
                indicator_code="workers",
                month=month,
                sex=Sex.female if index % 2 else None,
                value=Decimal(index),
            ),
        )
        for index, month in enumerate(
            [date(2027, 1, 5), date(2027, 1, 20), date(2027, 1, 5), date(2026, 11, 2)]
        )
    ]
    unknown_round = CheckedRow(
        index=4,
        data=ValueIn(
            enterprise_id=uuid4(), indicator_code="workers", round_id=uuid4(), value=Decimal(1)
        ),
    )
    for row in [*rows, unknown_round]:
        check_row(row, context)

    future = [(error["field"], error["value"]) for row in rows for error in row.errors]
    assert future == [
        ("body.values.0.month", "2027-01-05"),
        ("body.values.1.month", "2027-01-20"),
        ("body.values.2.month", "2027-01-05"),
    ]
    assert rows[3].ok, rows[3].errors
    assert rows[0].slot == slot_key(enterprise_id, indicator.id, None, date(2027, 1, 1), None, None)
    assert rows[1].slot == slot_key(
        enterprise_id, indicator.id, None, date(2027, 1, 1), "female", None
    )
    assert [(e["field"], e["rule"]) for e in unknown_round.errors] == [
        ("body.values.4.enterprise_id", "unknown_enterprise"),
        ("body.values.4.round_id", "period"),
    ]
    assert unknown_round.slot is None


@dataclass(frozen=True)
class WorkersBaseline:
    """A count indicator "workers" and an enterprise enrolled in a project's baseline round:
    what ``check_row`` needs to place a row of that enterprise."""

    enterprise_id: UUID
    baseline: RoundInfo
    indicator: IndicatorInfo
    context: RowContext

    @classmethod
    def disaggregated_by(cls, disaggregations: tuple[str, ...]) -> "WorkersBaseline":
        enterprise_id, project_id = uuid4(), uuid4()
        baseline = RoundInfo(id=uuid4(), project_id=project_id, kind="baseline", sequence=0)
        indicator = IndicatorInfo(
            id=uuid4(),
            code="workers",
            version=1,
            kind="count",
            min_value=None,
            max_value=None,
            disaggregations=disaggregations,
        )
        context = RowContext(
            indicators={"workers": indicator},
            enrolments={enterprise_id: {project_id: "level1"}},
            rounds={baseline.id: baseline},
            today=date.today(),
        )
        return cls(enterprise_id, baseline, indicator, context)


def test_a_rows_groups_are_those_its_slot_spells() -> None:
    """check_row makes a row's groups with its slot, from the same parts: they are the
    groups ``_groups_of`` reads from the slot, for every disaggregation and part."""
    for disaggregations in ((), ("sex",), ("role",), ("sex", "role"), ("role", "sex")):
        world = WorkersBaseline.disaggregated_by(disaggregations)
        for sex in (None, *Sex):
            for role in (None, *ParticipantRole):
                row = CheckedRow(
                    index=0,
                    data=ValueIn(
                        enterprise_id=world.enterprise_id,
                        indicator_code="workers",
                        round_id=world.baseline.id,
                        sex=sex,
                        role=role,
                        value=Decimal(3),
                    ),
                )
                check_row(row, world.context)
                assert row.slot is not None
                assert row.groups() == _groups_of(row.slot, world.indicator)
                assert len(row.groups()) == len(disaggregations)


def test_slots_to_load_are_the_rows_slots_and_their_groups_siblings() -> None:
    """What a batch loads of the stored values: its own slots, the other parts and the
    total of each of its groups; nothing of other indicators or periods."""
    world = WorkersBaseline.disaggregated_by(("sex",))
    enterprise_id, baseline, workers, context = (
        world.enterprise_id,
        world.baseline,
        world.indicator,
        world.context,
    )
    row = CheckedRow(
        index=0,
        data=ValueIn(
            enterprise_id=enterprise_id,
            indicator_code="workers",
            round_id=baseline.id,
            sex=Sex.female,
            value=Decimal(3),
        ),
    )
    unknown = CheckedRow(
        index=1,
        data=ValueIn(enterprise_id=enterprise_id, indicator_code="nope", value=Decimal(1)),
    )
    for checked in (row, unknown):
        check_row(checked, context)
    assert not SlotsToLoad([unknown])
    slots = SlotsToLoad([row, unknown])
    assert slots

    def slot(sex: str | None, indicator_id: UUID = workers.id) -> str:
        return slot_key(enterprise_id, indicator_id, baseline.id, None, sex, None)

    assert [slot(part) in slots for part in ("female", "male", "other", None)] == [True] * 4
    assert slot("female", uuid4()) not in slots
    assert slot_key(enterprise_id, workers.id, uuid4(), None, "male", None) not in slots
    assert None not in slots
