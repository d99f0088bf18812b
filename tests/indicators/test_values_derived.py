"""Derived indicators: computed from validated inputs in the validating transaction,
recomputed after a validated correction, not computable (with a reason) on division by zero,
a missing or withdrawn input; never entered or edited by hand; their lineage is stored."""

from decimal import Decimal
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.standard import ensure_standard_indicators
from shared.identity import Principal
from tests.enrolment.support import ILO, Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.imports_support import xlsx_rows
from tests.indicators.test_catalogue import new_indicator
from tests.indicators.values_support import (
    accepted_ids,
    events_of,
    make_round,
    post_batch,
    rules_at,
    value,
)

__all__ = ["indicators_world", "indicators_world_baseline"]


@pytest.fixture(autouse=True)
async def standard_set(indicators_session: AsyncSession) -> None:
    await ensure_standard_indicators(indicators_session)
    await indicators_session.commit()


@pytest.fixture
async def baseline(indicators_api: Api, indicators_world: IndicatorsWorld) -> str:
    return await make_round(indicators_api, indicators_world.world.pakistan_project_id)


def staff(world: IndicatorsWorld) -> Principal:
    return world.world.efp_staff


def manager(world: IndicatorsWorld) -> Principal:
    return world.world.pakistan_manager


async def enter_and_validate(
    api: Api, world: IndicatorsWorld, values: list[dict[str, Any]]
) -> list[str]:
    ids = await accepted_ids(api, values, as_=staff(world), submit=True)
    response = await api.post("/values/validate", json={"value_ids": ids}, as_=manager(world))
    assert response.status_code == 200, response.text
    return ids


async def counts_validated(
    api: Api, world: IndicatorsWorld, round_id: str, defects: int, pieces: int
) -> list[str]:
    """Defects and pieces checked of the EFP enterprise, entered and validated."""
    return await enter_and_validate(
        api,
        world,
        [
            value(world.efp_enterprise_id, "defects", defects, round_id=round_id),
            value(world.efp_enterprise_id, "pieces_checked", pieces, round_id=round_id),
        ],
    )


async def derived_values(
    api: Api, world: IndicatorsWorld, code: str, *, round_id: str
) -> list[dict[str, Any]]:
    response = await api.get(
        "/values",
        params={
            "enterprise_id": str(world.efp_enterprise_id),
            "indicator_code": code,
            "round_id": round_id,
        },
        as_=staff(world),
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def rates_of(api: Api, world: IndicatorsWorld, round_id: str) -> list[dict[str, Any]]:
    return await derived_values(api, world, "defect_rate", round_id=round_id)


async def test_defect_rate_is_computed_when_defects_and_pieces_checked_are_validated(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    baseline: str,
    indicators_session: AsyncSession,
) -> None:
    defects_id, pieces_id = await counts_validated(
        indicators_api, indicators_world, baseline, 12, 400
    )

    [rate] = await derived_values(
        indicators_api, indicators_world, "defect_rate", round_id=baseline
    )
    assert (rate["value"], rate["status"], rate["derived"]) == ("3", "validated", True)
    lineage = rate["lineage"]
    assert lineage["formula"] == {
        "numerator": "defects",
        "denominator": "pieces_checked",
        "multiplier": "100",
    }
    assert lineage["formula_version"] == 1
    assert {(i["indicator_code"], i["value_id"], i["version"]) for i in lineage["inputs"]} == {
        ("defects", defects_id, 1),
        ("pieces_checked", pieces_id, 1),
    }
    assert lineage["reason"] is None
    # Reporting learns of it like of any validated value, in the same transaction.
    validated = await events_of(indicators_session, "value.validated")
    derived = [event for event in validated if event["indicator_code"] == "defect_rate"]
    assert [(e["value"], e["derived"], e["value_id"]) for e in derived] == [("3", True, rate["id"])]


async def test_nothing_is_derived_while_an_input_awaits_review(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    efp = indicators_world.efp_enterprise_id
    await accepted_ids(
        indicators_api,
        [
            value(efp, "defects", 12, round_id=baseline),
            value(efp, "pieces_checked", 400, round_id=baseline),
        ],
        as_=staff(indicators_world),
        submit=True,
    )

    assert (
        await derived_values(indicators_api, indicators_world, "defect_rate", round_id=baseline)
        == []
    )


async def test_a_derived_rate_is_recomputed_only_once_its_inputs_correction_is_validated(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    defects_id, _ = await counts_validated(indicators_api, indicators_world, baseline, 12, 400)
    correction = await indicators_api.post(
        f"/values/{defects_id}/corrections",
        json={"value": 20, "reason": "Second shift's register was left out"},
        as_=staff(indicators_world),
    )
    assert correction.status_code == 201, correction.text
    corrected_id = correction.json()["id"]

    # Under review: the rate still rests on the validated 12 defects.
    [pending] = await derived_values(
        indicators_api, indicators_world, "defect_rate", round_id=baseline
    )
    assert pending["value"] == "3"

    validated = await indicators_api.post(
        f"/values/{corrected_id}/validate", as_=manager(indicators_world)
    )
    assert validated.status_code == 200, validated.text
    [rate] = await derived_values(
        indicators_api, indicators_world, "defect_rate", round_id=baseline
    )
    assert (rate["value"], rate["version"], rate["supersedes_id"]) == ("5", 2, pending["id"])
    assert ("defects", corrected_id, 2) in {
        (i["indicator_code"], i["value_id"], i["version"]) for i in rate["lineage"]["inputs"]
    }
    history = (
        await indicators_api.get(f"/values/{rate['id']}/history", as_=staff(indicators_world))
    ).json()
    assert [(v["version"], v["value"], v["previous_value"]) for v in history["versions"]] == [
        (1, "3", None),
        (2, "5", "3"),
    ]


async def test_division_by_zero_gives_no_value_and_a_reason_not_a_failed_batch(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    efp = indicators_world.efp_enterprise_id
    other = indicators_world.efp_other_enterprise_id
    await enter_and_validate(
        indicators_api,
        indicators_world,
        [
            value(efp, "defects", 0, round_id=baseline),
            value(efp, "pieces_checked", 0, round_id=baseline),
            value(other, "defects", 8, round_id=baseline),
            value(other, "pieces_checked", 200, round_id=baseline),
        ],
    )

    [gap] = await rates_of(indicators_api, indicators_world, baseline)
    assert (gap["status"], gap["value"]) == ("not_computable", None)
    assert gap["lineage"]["reason"] == "division by zero: 'pieces_checked' is 0"
    # The other enterprise's rate is computed in the same validation.
    listed = await indicators_api.get(
        "/values",
        params={"indicator_code": "defect_rate", "status": "validated"},
        as_=staff(indicators_world),
    )
    assert [(item["enterprise_id"], item["value"]) for item in listed.json()["items"]] == [
        (str(other), "4")
    ]


async def test_a_missing_input_is_the_queryable_reason(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    efp = indicators_world.efp_enterprise_id
    await enter_and_validate(
        indicators_api, indicators_world, [value(efp, "defects", 12, round_id=baseline)]
    )

    listed = await indicators_api.get(
        "/values",
        params={"indicator_code": "defect_rate", "status": "not_computable"},
        as_=staff(indicators_world),
    )
    [gap] = listed.json()["items"]
    assert gap["lineage"]["reason"] == (
        "missing input: 'pieces_checked' has no validated value for this enterprise, period "
        "and part"
    )
    assert [i["indicator_code"] for i in gap["lineage"]["inputs"]] == ["defects"]


async def test_withdrawing_an_input_removes_the_derived_value(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    baseline: str,
    indicators_session: AsyncSession,
) -> None:
    _, pieces_id = await counts_validated(indicators_api, indicators_world, baseline, 12, 400)
    withdrawn = await indicators_api.post(
        f"/values/{pieces_id}/withdraw",
        json={"reason": "Counted at another factory"},
        as_=manager(indicators_world),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["value"]) == ("withdrawn", None)

    [rate] = await derived_values(
        indicators_api, indicators_world, "defect_rate", round_id=baseline
    )
    assert (rate["status"], rate["value"], rate["version"]) == ("not_computable", None, 2)
    assert rate["lineage"]["reason"].startswith("input 'pieces_checked' was withdrawn")
    # Reporting is told both figures stop counting.
    gone = await events_of(indicators_session, "value.withdrawn")
    assert {(e["indicator_code"], e["status"]) for e in gone} == {
        ("pieces_checked", "withdrawn"),
        ("defect_rate", "not_computable"),
    }


async def test_a_direct_value_for_a_derived_indicator_names_the_inputs_to_send(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    response = await post_batch(
        indicators_api,
        [
            value(indicators_world.efp_enterprise_id, "defects", 4, round_id=baseline),
            value(indicators_world.efp_enterprise_id, "defect_rate", 3, round_id=baseline),
        ],
        as_=staff(indicators_world),
    )

    assert response.status_code == 422
    assert rules_at(response, 1) == {"derived_indicator"}
    assert rules_at(response, 0) == set()
    [error] = response.json()["errors"]
    assert error["field"] == "body.values.1.indicator_code"
    assert "'defects' and 'pieces_checked'" in error["message"]


async def test_derived_values_are_never_changed_by_hand(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    await counts_validated(indicators_api, indicators_world, baseline, 12, 400)
    [rate] = await derived_values(
        indicators_api, indicators_world, "defect_rate", round_id=baseline
    )

    attempts = [
        await indicators_api.patch(
            f"/values/{rate['id']}", json={"value": 1}, as_=staff(indicators_world)
        ),
        await indicators_api.post(
            f"/values/{rate['id']}/corrections",
            json={"value": 1, "reason": "looks high"},
            as_=staff(indicators_world),
        ),
        await indicators_api.post(
            f"/values/{rate['id']}/withdraw",
            json={"reason": "looks high"},
            as_=manager(indicators_world),
        ),
    ]

    for attempt in attempts:
        assert attempt.status_code == 409, attempt.text
        assert attempt.json()["errors"][0]["rule"] == "derived"
    [unchanged] = await derived_values(
        indicators_api, indicators_world, "defect_rate", round_id=baseline
    )
    assert (unchanged["id"], unchanged["value"]) == (rate["id"], "3")


async def test_a_sex_disaggregated_rate_is_derived_for_each_part(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    efp = indicators_world.efp_enterprise_id
    await enter_and_validate(
        indicators_api,
        indicators_world,
        [
            value(efp, "accidents", 1, round_id=baseline, sex="female"),
            value(efp, "accidents", 3, round_id=baseline, sex="male"),
            value(efp, "accidents", 4, round_id=baseline),
            value(efp, "hours_worked", 100_000, round_id=baseline, sex="female"),
            value(efp, "hours_worked", 300_000, round_id=baseline, sex="male"),
            value(efp, "hours_worked", 400_000, round_id=baseline),
        ],
    )

    rates = await derived_values(
        indicators_api, indicators_world, "accident_rate", round_id=baseline
    )
    by_part = {rate["sex"]: Decimal(rate["value"]) for rate in rates}
    assert by_part == {"female": Decimal(2), "male": Decimal(2), None: Decimal(2)}


async def test_a_derived_value_outside_its_bounds_is_not_computed(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    await counts_validated(indicators_api, indicators_world, baseline, 600, 400)

    [gap] = await rates_of(indicators_api, indicators_world, baseline)
    assert gap["status"] == "not_computable"
    assert gap["lineage"]["reason"].startswith("out of bounds: 150 is outside [0, 100]")


async def test_a_derived_value_of_more_than_28_digits_is_computed_to_its_6_places(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    # Hours worked entered in the wrong unit: 2 accidents in 10^-20 hours are 4 x 10^25 per
    # 200,000 hours. Rounding that to 6 places took 32 digits, past the decimal context's 28:
    # the validation that derived it failed with a 500, and so did every retry.
    efp = indicators_world.efp_enterprise_id
    tiny = "0.00000000000000000001"
    await enter_and_validate(
        indicators_api,
        indicators_world,
        [
            value(efp, "accidents", 2, round_id=baseline, sex="female"),
            value(efp, "accidents", 3, round_id=baseline, sex="male"),
            value(efp, "accidents", 5, round_id=baseline),
            value(efp, "hours_worked", tiny, round_id=baseline, sex="female"),
            value(efp, "hours_worked", tiny, round_id=baseline, sex="male"),
            value(efp, "hours_worked", "0.00000000000000000002", round_id=baseline),
        ],
    )

    rates = await derived_values(
        indicators_api, indicators_world, "accident_rate", round_id=baseline
    )
    by_part = {rate["sex"]: (rate["status"], rate["value"]) for rate in rates}
    assert by_part == {
        "female": ("validated", "4" + "0" * 25),
        "male": ("validated", "6" + "0" * 25),
        None: ("validated", "5" + "0" * 25),
    }


async def test_exports_list_derived_values_apart_and_the_template_names_their_inputs(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    defects_id, pieces_id = await counts_validated(
        indicators_api, indicators_world, baseline, 12, 400
    )

    efp = indicators_world.efp_enterprise_id
    exported = await indicators_api.get(
        "/exports/values",
        params={"enterprise_id": str(efp), "format": "xlsx"},
        as_=staff(indicators_world),
    )
    template = await indicators_api.get(
        "/imports/template",
        params={"round_id": baseline, "enterprise_id": str(efp)},
        as_=staff(indicators_world),
    )

    assert exported.status_code == 200, exported.text
    # The values sheet imports again as it is: entered values only.
    entered = {row[2] for row in xlsx_rows(exported.content)[1:]}
    assert entered == {"defects", "pieces_checked"}
    [header, derived] = xlsx_rows(exported.content, "derived")
    row = dict(zip(header, derived, strict=True))
    assert (row["indicator_code"], row["value"], row["status"]) == ("defect_rate", 3, "validated")
    assert row["formula"] == "defects / pieces_checked x 100"
    assert f"(value {defects_id} v1)" in str(row["inputs"])
    assert f"(value {pieces_id} v1)" in str(row["inputs"])
    assert template.status_code == 200, template.text
    assert "defect_rate" not in {row[2] for row in xlsx_rows(template.content)[1:]}
    catalogue = {row[0]: row for row in xlsx_rows(template.content, "indicators")[1:]}
    assert str(catalogue["defect_rate"][-1]).startswith("defects / pieces_checked x 100")
    assert catalogue["defects"][-1] is None


async def test_the_graph_shows_derived_values_with_their_lineage(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    defects_id, _ = await counts_validated(indicators_api, indicators_world, baseline, 12, 400)

    response = await indicators_api.post(
        "/graphql",
        json={
            "query": """query ($id: ID!) {
              _entities(representations: [{__typename: "Enterprise", id: $id}]) {
                ... on Enterprise {
                  indicatorValues(indicatorCode: "defect_rate") {
                    value status derived
                    indicator { formula { numerator denominator multiplier } }
                    lineage { formulaVersion reason inputs { indicatorCode valueId version } }
                  }
                }
              }
            }""",
            "variables": {"id": str(indicators_world.efp_enterprise_id)},
        },
        as_=staff(indicators_world),
    )

    assert response.status_code == 200, response.text
    [rate] = response.json()["data"]["_entities"][0]["indicatorValues"]
    assert (rate["value"], rate["status"], rate["derived"]) == ("3", "validated", True)
    assert rate["indicator"]["formula"] == {
        "numerator": "defects",
        "denominator": "pieces_checked",
        "multiplier": "100",
    }
    assert {"indicatorCode": "defects", "valueId": defects_id, "version": 1} in rate["lineage"][
        "inputs"
    ]


async def accidents_by_sex_only(
    api: Api, world: IndicatorsWorld, round_id: str, **parts: int
) -> dict[str, str]:
    """Hours worked (400,000: a total and its parts) validated, then accidents as sex parts
    without a total, in a second batch (its parts alone must reach the total rate); the
    parts' value ids."""
    efp = world.efp_enterprise_id
    await enter_and_validate(
        api,
        world,
        [
            value(efp, "hours_worked", hours, round_id=round_id, sex=sex)
            for sex, hours in (("female", 100_000), ("male", 300_000), (None, 400_000))
        ],
    )
    ids = await enter_and_validate(
        api,
        world,
        [value(efp, "accidents", n, round_id=round_id, sex=sex) for sex, n in parts.items()],
    )
    return dict(zip(parts, ids, strict=True))


async def total_rate(api: Api, world: IndicatorsWorld, round_id: str) -> dict[str, Any]:
    rates = await derived_values(api, world, "accident_rate", round_id=round_id)
    [total] = [rate for rate in rates if rate["sex"] is None and rate["role"] is None]
    return total


async def test_a_total_rate_is_derived_from_an_input_recorded_only_as_its_sex_parts(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    ids = await accidents_by_sex_only(
        indicators_api, indicators_world, baseline, female=1, male=3, other=2
    )

    rate = await total_rate(indicators_api, indicators_world, baseline)
    # (1 + 3 + 2) accidents per 400,000 hours: 3 per 200,000 (version 1 lacked accidents).
    assert (rate["status"], rate["value"], rate["version"]) == ("validated", "3", 2)
    lineage = rate["lineage"]
    assert lineage["reason"] is None
    [accidents] = [i for i in lineage["inputs"] if i["indicator_code"] == "accidents"]
    assert accidents == {
        "indicator_code": "accidents",
        "value_id": None,
        "version": None,
        "value": "6",
        "derived_from_parts": True,
        "parts": [
            {"value_id": ids["female"], "version": 1, "part": "female", "value": "1"},
            {"value_id": ids["male"], "version": 1, "part": "male", "value": "3"},
            {"value_id": ids["other"], "version": 1, "part": "other", "value": "2"},
        ],
    }
    [hours] = [i for i in lineage["inputs"] if i["indicator_code"] == "hours_worked"]
    assert (hours["value"], hours["derived_from_parts"]) == ("400000", False)
    # The graph and the export's derived sheet say the same.
    graph = await indicators_api.post(
        "/graphql",
        json={
            "query": """query ($id: ID!) {
              _entities(representations: [{__typename: "Enterprise", id: $id}]) {
                ... on Enterprise {
                  indicatorValues(indicatorCode: "accident_rate") {
                    sex value
                    lineage { inputs { indicatorCode valueId value derivedFromParts
                                       parts { valueId version part value } } }
                  }
                }
              }
            }""",
            "variables": {"id": str(indicators_world.efp_enterprise_id)},
        },
        as_=staff(indicators_world),
    )
    assert graph.status_code == 200, graph.text
    assert "errors" not in graph.json(), graph.text
    [total] = [v for v in graph.json()["data"]["_entities"][0]["indicatorValues"] if not v["sex"]]
    [summed] = [i for i in total["lineage"]["inputs"] if i["derivedFromParts"]]
    assert (summed["indicatorCode"], summed["valueId"], summed["value"]) == ("accidents", None, "6")
    assert [p["valueId"] for p in summed["parts"]] == [ids["female"], ids["male"], ids["other"]]
    exported = await indicators_api.get(
        "/exports/values",
        params={"enterprise_id": str(indicators_world.efp_enterprise_id), "format": "xlsx"},
        as_=staff(indicators_world),
    )
    assert exported.status_code == 200, exported.text
    [header, *rows] = xlsx_rows(exported.content, "derived")
    [row] = [r for r in (dict(zip(header, r, strict=True)) for r in rows) if r["sex"] is None]
    assert f"accidents 6 (sum of its parts: female 1 (value {ids['female']} v1) + " in str(
        row["inputs"]
    )


async def test_a_validated_correction_of_a_part_recomputes_the_total_rate(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    ids = await accidents_by_sex_only(indicators_api, indicators_world, baseline, female=1, male=3)
    before = await total_rate(indicators_api, indicators_world, baseline)
    assert (before["value"], before["version"]) == ("2", 2)

    correction = await indicators_api.post(
        f"/values/{ids['female']}/corrections",
        json={"value": 5, "reason": "Night shift's injuries were left out"},
        as_=staff(indicators_world),
    )
    assert correction.status_code == 201, correction.text
    corrected_id = correction.json()["id"]
    validated = await indicators_api.post(
        f"/values/{corrected_id}/validate", as_=manager(indicators_world)
    )
    assert validated.status_code == 200, validated.text

    rate = await total_rate(indicators_api, indicators_world, baseline)
    assert (rate["value"], rate["version"], rate["supersedes_id"]) == ("4", 3, before["id"])
    [accidents] = [i for i in rate["lineage"]["inputs"] if i["indicator_code"] == "accidents"]
    assert [(p["value_id"], p["version"], p["value"]) for p in accidents["parts"]] == [
        (corrected_id, 2, "5"),
        (ids["male"], 1, "3"),
    ]


async def test_a_withdrawn_part_makes_the_total_rate_not_computable(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    baseline: str,
    indicators_session: AsyncSession,
) -> None:
    ids = await accidents_by_sex_only(indicators_api, indicators_world, baseline, female=1, male=3)
    assert (await total_rate(indicators_api, indicators_world, baseline))["value"] == "2"

    withdrawn = await indicators_api.post(
        f"/values/{ids['male']}/withdraw",
        json={"reason": "Accidents of another factory"},
        as_=manager(indicators_world),
    )
    assert withdrawn.status_code == 200, withdrawn.text

    rate = await total_rate(indicators_api, indicators_world, baseline)
    assert (rate["status"], rate["value"], rate["version"]) == ("not_computable", None, 3)
    assert rate["lineage"]["reason"] == (
        f"input 'accidents' has no total and its 'male' part was withdrawn "
        f"(value {withdrawn.json()['id']})"
    )
    gone = await events_of(indicators_session, "value.withdrawn")
    assert ("accident_rate", None) in {(e["indicator_code"], e["sex"]) for e in gone}


async def test_a_recorded_total_wins_over_the_sum_of_its_parts(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    await accidents_by_sex_only(indicators_api, indicators_world, baseline, female=1, male=3)
    from_parts = await total_rate(indicators_api, indicators_world, baseline)
    assert from_parts["value"] == "2"

    [total_id] = await enter_and_validate(
        indicators_api,
        indicators_world,
        [value(indicators_world.efp_enterprise_id, "accidents", 4, round_id=baseline)],
    )

    rate = await total_rate(indicators_api, indicators_world, baseline)
    assert (rate["value"], rate["version"]) == ("2", 3)
    [accidents] = [i for i in rate["lineage"]["inputs"] if i["indicator_code"] == "accidents"]
    assert (accidents["value_id"], accidents["version"], accidents["derived_from_parts"]) == (
        total_id,
        1,
        False,
    )
    assert accidents["parts"] == []


async def test_a_withdrawn_total_leaves_the_total_rate_to_the_sum_of_its_parts(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    # Reporting then counts the parts' sum as the accidents of the round: the rate follows.
    ids = await accidents_by_sex_only(indicators_api, indicators_world, baseline, female=1, male=3)
    [total_id] = await enter_and_validate(
        indicators_api,
        indicators_world,
        [value(indicators_world.efp_enterprise_id, "accidents", 4, round_id=baseline)],
    )
    withdrawn = await indicators_api.post(
        f"/values/{total_id}/withdraw",
        json={"reason": "Typed in the wrong round"},
        as_=manager(indicators_world),
    )
    assert withdrawn.status_code == 200, withdrawn.text

    rate = await total_rate(indicators_api, indicators_world, baseline)
    assert (rate["status"], rate["value"], rate["version"]) == ("validated", "2", 4)
    [accidents] = [i for i in rate["lineage"]["inputs"] if i["indicator_code"] == "accidents"]
    assert (accidents["derived_from_parts"], [p["value_id"] for p in accidents["parts"]]) == (
        True,
        [ids["female"], ids["male"]],
    )


async def test_parts_of_an_input_that_does_not_add_up_are_never_summed(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str
) -> None:
    # Accidents are counts (summed); hours worked are a duration, never summed here.
    efp = indicators_world.efp_enterprise_id
    await enter_and_validate(
        indicators_api,
        indicators_world,
        [
            value(efp, code, n, round_id=baseline, sex=sex)
            for code, parts in (("accidents", (1, 3)), ("hours_worked", (100_000, 300_000)))
            for sex, n in zip(("female", "male"), parts, strict=True)
        ],
    )

    rate = await total_rate(indicators_api, indicators_world, baseline)
    assert (rate["status"], rate["value"]) == ("not_computable", None)
    assert rate["lineage"]["reason"] == (
        "missing input: 'hours_worked' has no validated value for this enterprise, period and part"
    )
    assert [(i["indicator_code"], i["value"]) for i in rate["lineage"]["inputs"]] == [
        ("accidents", "4")
    ]
    # Each sex's own rate is computed from its own parts, as before.
    rates = await derived_values(
        indicators_api, indicators_world, "accident_rate", round_id=baseline
    )
    assert {r["sex"]: r["value"] for r in rates if r["sex"]} == {"female": "2", "male": "2"}


@pytest.fixture
async def wage_share(indicators_api: Api) -> str:
    """wage_share = wages (an amount by sex) / revenue (an amount) x 100."""
    for code, overrides in (
        ("wages", {"kind": "amount", "unit": "wages"}),
        ("revenue", {"kind": "amount", "unit": "revenue", "disaggregations": []}),
        (
            "wage_share",
            {
                "kind": "percentage",
                "unit": "%",
                "disaggregations": [],
                "formula": {"numerator": "wages", "denominator": "revenue", "multiplier": "100"},
            },
        ),
    ):
        created = await indicators_api.post(
            "/indicators", json=new_indicator(code, **overrides), as_=ILO
        )
        assert created.status_code == 201, created.text
    return "wage_share"


async def test_a_ratio_of_amounts_in_different_currencies_is_not_computed(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str, wage_share: str
) -> None:
    # 200 EUR of wages over 1,000 PKR of revenue is no 20%.
    efp = indicators_world.efp_enterprise_id
    await enter_and_validate(
        indicators_api,
        indicators_world,
        [
            value(efp, "wages", 100, round_id=baseline, sex="female", currency="EUR"),
            value(efp, "wages", 100, round_id=baseline, sex="male", currency="EUR"),
            value(efp, "wages", 200, round_id=baseline, currency="EUR"),
            value(efp, "revenue", 1000, round_id=baseline, currency="PKR"),
        ],
    )

    [share] = await derived_values(indicators_api, indicators_world, wage_share, round_id=baseline)
    assert (share["status"], share["value"]) == ("not_computable", None)
    assert share["lineage"]["reason"] == (
        "inputs in different currencies: 'wages' in EUR and 'revenue' in PKR"
    )


async def test_parts_in_different_currencies_are_not_summed(
    indicators_api: Api, indicators_world: IndicatorsWorld, baseline: str, wage_share: str
) -> None:
    efp = indicators_world.efp_enterprise_id
    _, male_id, _ = await enter_and_validate(
        indicators_api,
        indicators_world,
        [
            value(efp, "wages", 100, round_id=baseline, sex="female", currency="USD"),
            value(efp, "wages", 100, round_id=baseline, sex="male", currency="EUR"),
            value(efp, "revenue", 1000, round_id=baseline, currency="USD"),
        ],
    )

    [share] = await derived_values(indicators_api, indicators_world, wage_share, round_id=baseline)
    assert (share["status"], share["value"]) == ("not_computable", None)
    assert share["lineage"]["reason"] == (
        "input 'wages' has no total and its parts are in different currencies (EUR, USD)"
    )
    # In one currency they are summed: 200 USD of 1,000 USD.
    correction = await indicators_api.post(
        f"/values/{male_id}/corrections",
        json={"value": 100, "currency": "USD", "reason": "Paid in dollars"},
        as_=staff(indicators_world),
    )
    assert correction.status_code == 201, correction.text
    validated = await indicators_api.post(
        f"/values/{correction.json()['id']}/validate", as_=manager(indicators_world)
    )
    assert validated.status_code == 200, validated.text
    [share] = await derived_values(indicators_api, indicators_world, wage_share, round_id=baseline)
    assert (share["status"], share["value"]) == ("validated", "20")
