"""Behaviour of the eligibility criteria engine, mostly through the 2018 Pakistan preset."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from pydantic import ValidationError

from services.enrolment.calls.presets import available_presets, load_preset
from services.enrolment.calls.rules import (
    AtLeast,
    AtMost,
    Between,
    CriteriaSet,
    CriterionResult,
    CriterionSpec,
    Evaluation,
    IsTrue,
    RatioAtLeast,
    ValueIn,
    evaluate_criteria,
    evaluate_rule,
    validate_criteria_set,
)

PAKISTAN = load_preset("pakistan_2018")


def eligible_garment_factory(**changes: Any) -> dict[str, object]:
    """A snapshot that passes every 2018 Pakistan criterion, with ``changes`` applied.

    A change to ``None`` models an unanswered question; ``without`` removes a key.
    """
    snapshot: dict[str, object] = {
        "country": "PK",
        "sector": "textile",
        "sub_sector": "ready_made_garments",
        "workforce_total": 400,
        "workforce_permanent": 200,
        "workforce_female": 150,
        "workforce_male": 250,
        "has_hr_officer": True,
        "has_compliance_officer": True,
        "has_industrial_engineer": True,
        "women_led": False,
        "ownership": "private",
        "willing_to_share_order_status": True,
        "willing_to_share_baseline_data": True,
        "willing_to_hire_key_staff": False,
        "ceo_attends_workshops": True,
        "senior_nominee_with_authority": False,
    }
    snapshot.update(changes)
    return snapshot


def without(snapshot: dict[str, object], *fields: str) -> dict[str, object]:
    return {key: value for key, value in snapshot.items() if key not in fields}


def pakistan(snapshot: dict[str, object]) -> Evaluation:
    return evaluate_criteria(PAKISTAN, snapshot)


def result(evaluation: Evaluation, key: str) -> CriterionResult:
    (found,) = [r for r in evaluation.results if r.key == key]
    return found


# --------------------------------------------------------------------------- the preset


def test_pakistan_preset_has_the_seven_hard_criteria_in_order() -> None:
    assert "pakistan_2018" in available_presets()
    assert [c.key for c in PAKISTAN] == [
        "sub_sector",
        "workforce_size",
        "permanent_share",
        "share_order_status",
        "share_baseline_data",
        "key_staff",
        "ceo_commitment",
    ]
    assert all(c.kind == "hard" and c.weight == 0 for c in PAKISTAN)


def test_unknown_preset_name_is_refused_with_the_available_names() -> None:
    with pytest.raises(LookupError, match="pakistan_2018"):
        load_preset("atlantis_2030")
    with pytest.raises(LookupError):
        load_preset("../rules")


def test_preset_survives_a_json_round_trip_because_criteria_are_data() -> None:
    document = CriteriaSet(criteria=PAKISTAN).model_dump_json()
    again = CriteriaSet.model_validate_json(document).criteria
    assert again == PAKISTAN
    # The JSON names each rule type, so it can be stored and edited outside Python.
    parsed = json.loads(document)
    assert parsed["criteria"][5]["rule"]["type"] == "any_of"
    assert parsed["criteria"][5]["rule"]["rules"][0]["type"] == "all_of"


# --------------------------------------------------------------------------- overall outcome


def test_enterprise_meeting_every_pakistan_criterion_is_eligible() -> None:
    evaluation = pakistan(eligible_garment_factory())
    assert evaluation.outcome == "eligible"
    assert [r.outcome for r in evaluation.results] == ["passed"] * 7
    assert evaluation.failed_keys == []
    assert evaluation.unknown_keys == []
    assert evaluation.priority_score == 0


def test_one_failed_hard_criterion_makes_the_enterprise_ineligible_even_with_unknowns() -> None:
    snapshot = eligible_garment_factory(workforce_total=120, willing_to_share_order_status=None)
    evaluation = pakistan(snapshot)
    assert evaluation.outcome == "ineligible"
    assert evaluation.failed_keys == ["workforce_size"]
    assert evaluation.unknown_keys == ["share_order_status"]


def test_missing_hard_data_without_failures_needs_information() -> None:
    evaluation = pakistan(without(eligible_garment_factory(), "willing_to_share_baseline_data"))
    assert evaluation.outcome == "needs_information"
    assert evaluation.failed_keys == []
    assert evaluation.unknown_keys == ["share_baseline_data"]


def test_empty_snapshot_needs_information_on_every_criterion_rather_than_failing() -> None:
    evaluation = pakistan({})
    assert evaluation.outcome == "needs_information"
    assert evaluation.unknown_keys == [c.key for c in PAKISTAN]


def test_evaluation_serialises_to_json_for_the_api() -> None:
    snapshot = eligible_garment_factory(workforce_total=float("nan"))
    document = json.loads(pakistan(snapshot).model_dump_json())
    assert document["outcome"] == "needs_information"
    assert document["results"][1]["observed"] == "nan"


# --------------------------------------------------------------------------- 1. sub-sector


def test_garment_factory_passes_sub_sector_criterion() -> None:
    r = result(pakistan(eligible_garment_factory(sub_sector="dyeing_woven")), "sub_sector")
    assert r.outcome == "passed"
    assert r.observed == "dyeing_woven"
    assert r.expected == "one of: ready_made_garments, dyeing_woven, dyeing_knitwear"


def test_sub_sector_comparison_ignores_case() -> None:
    r = result(pakistan(eligible_garment_factory(sub_sector="Dyeing_Knitwear")), "sub_sector")
    assert r.outcome == "passed"
    assert r.observed == "Dyeing_Knitwear"


def test_spinning_mill_fails_sub_sector_criterion() -> None:
    r = result(pakistan(eligible_garment_factory(sub_sector="spinning")), "sub_sector")
    assert r.outcome == "failed"
    assert r.observed == "spinning"
    assert r.expected == "one of: ready_made_garments, dyeing_woven, dyeing_knitwear"
    assert r.explanation == (
        "sub_sector is spinning, which is not one of: "
        "ready_made_garments, dyeing_woven, dyeing_knitwear"
    )


def test_missing_sub_sector_is_unknown_not_failed() -> None:
    r = result(pakistan(without(eligible_garment_factory(), "sub_sector")), "sub_sector")
    assert r.outcome == "unknown"
    assert r.observed is None
    assert r.expected == "one of: ready_made_garments, dyeing_woven, dyeing_knitwear"
    assert r.explanation == "sub_sector is unknown: no value given"


def test_blank_sub_sector_answer_is_unknown() -> None:
    r = result(pakistan(eligible_garment_factory(sub_sector="  ")), "sub_sector")
    assert r.outcome == "unknown"


# --------------------------------------------------------------------------- 2. workforce size


def test_enterprise_with_300_workers_passes_workforce_criterion() -> None:
    r = result(pakistan(eligible_garment_factory(workforce_total=300)), "workforce_size")
    assert r.outcome == "passed"
    assert r.observed == 300
    assert r.expected == ">= 300"
    assert r.explanation == "workforce_total is 300, meeting the threshold of 300"


def test_enterprise_below_300_workers_fails_workforce_criterion() -> None:
    r = result(pakistan(eligible_garment_factory(workforce_total=250)), "workforce_size")
    assert r.outcome == "failed"
    assert r.observed == 250
    assert r.expected == ">= 300"
    assert r.explanation == "workforce_total is 250, below the threshold of 300"


def test_missing_workforce_total_leaves_workforce_criterion_unknown() -> None:
    r = result(pakistan(eligible_garment_factory(workforce_total=None)), "workforce_size")
    assert r.outcome == "unknown"
    assert r.observed is None
    assert r.expected == ">= 300"
    assert r.explanation == "workforce_total is unknown: no value given"


def test_text_where_a_number_is_needed_is_unknown_with_a_note_not_an_error() -> None:
    r = result(pakistan(eligible_garment_factory(workforce_total="many")), "workforce_size")
    assert r.outcome == "unknown"
    assert r.observed == "many"
    assert r.explanation == (
        "workforce_total is unknown: expected a number but got the text 'many'"
    )


def test_yes_no_value_where_a_number_is_needed_is_unknown() -> None:
    r = result(pakistan(eligible_garment_factory(workforce_total=True)), "workforce_size")
    assert r.outcome == "unknown"
    assert "expected a number" in r.explanation


# --------------------------------------------------------------------------- 3. permanent share


def test_quarter_permanent_workforce_passes_permanent_share_criterion() -> None:
    snapshot = eligible_garment_factory(workforce_total=400, workforce_permanent=100)
    r = result(pakistan(snapshot), "permanent_share")
    assert r.outcome == "passed"
    assert r.observed == {"workforce_permanent": 100, "workforce_total": 400}
    assert r.expected == ">= 25% of workforce_total"


def test_mostly_contract_workforce_fails_permanent_share_criterion() -> None:
    snapshot = eligible_garment_factory(workforce_total=400, workforce_permanent=80)
    r = result(pakistan(snapshot), "permanent_share")
    assert r.outcome == "failed"
    assert r.observed == {"workforce_permanent": 80, "workforce_total": 400}
    assert r.expected == ">= 25% of workforce_total"
    assert r.explanation == (
        "workforce_permanent is 20% of workforce_total (80 of 400), below the threshold of 25%"
    )


def test_missing_permanent_workforce_leaves_permanent_share_unknown() -> None:
    snapshot = without(eligible_garment_factory(), "workforce_permanent")
    r = result(pakistan(snapshot), "permanent_share")
    assert r.outcome == "unknown"
    assert r.observed == {"workforce_permanent": None, "workforce_total": 400}
    assert r.expected == ">= 25% of workforce_total"
    assert r.explanation == "workforce_permanent is unknown: no value given"


def test_ratio_with_zero_denominator_is_unknown() -> None:
    snapshot = eligible_garment_factory(workforce_total=0, workforce_permanent=0)
    r = result(pakistan(snapshot), "permanent_share")
    assert r.outcome == "unknown"
    assert r.observed == {"workforce_permanent": 0, "workforce_total": 0}
    assert "workforce_total is 0" in r.explanation


def test_ratio_exactly_on_a_decimal_threshold_passes() -> None:
    rule = RatioAtLeast(numerator="women", denominator="staff", threshold=0.29)
    assert evaluate_rule(rule, {"women": 29, "staff": 100}).outcome == "passed"


# --------------------------------------------------------------------------- 4. order status


def test_willing_to_share_order_status_passes_order_status_criterion() -> None:
    r = result(pakistan(eligible_garment_factory()), "share_order_status")
    assert r.outcome == "passed"
    assert r.observed is True
    assert r.expected == "true"


def test_refusing_to_share_order_status_fails_order_status_criterion() -> None:
    snapshot = eligible_garment_factory(willing_to_share_order_status=False)
    r = result(pakistan(snapshot), "share_order_status")
    assert r.outcome == "failed"
    assert r.observed is False
    assert r.expected == "true"
    assert r.explanation == "willing_to_share_order_status is false, but it must be true"


def test_unanswered_order_status_question_is_unknown() -> None:
    snapshot = without(eligible_garment_factory(), "willing_to_share_order_status")
    r = result(pakistan(snapshot), "share_order_status")
    assert r.outcome == "unknown"
    assert r.observed is None
    assert r.expected == "true"


def test_text_answer_to_a_yes_no_question_is_unknown() -> None:
    snapshot = eligible_garment_factory(willing_to_share_order_status="yes")
    r = result(pakistan(snapshot), "share_order_status")
    assert r.outcome == "unknown"
    assert r.observed == "yes"
    assert "expected true or false" in r.explanation


# --------------------------------------------------------------------------- 5. baseline data


def test_willing_to_share_baseline_data_passes_baseline_criterion() -> None:
    r = result(pakistan(eligible_garment_factory()), "share_baseline_data")
    assert r.outcome == "passed"
    assert r.observed is True
    assert r.expected == "true"


def test_refusing_to_share_baseline_data_fails_baseline_criterion() -> None:
    snapshot = eligible_garment_factory(willing_to_share_baseline_data=False)
    r = result(pakistan(snapshot), "share_baseline_data")
    assert r.outcome == "failed"
    assert r.observed is False
    assert r.expected == "true"


def test_unanswered_baseline_question_is_unknown() -> None:
    snapshot = eligible_garment_factory(willing_to_share_baseline_data=None)
    r = result(pakistan(snapshot), "share_baseline_data")
    assert r.outcome == "unknown"
    assert r.observed is None
    assert r.explanation == "willing_to_share_baseline_data is unknown: no value given"


# --------------------------------------------------------------------------- 6. key staff

KEY_STAFF_EXPECTED = (
    "(has_hr_officer is true and has_compliance_officer is true "
    "and has_industrial_engineer is true) or willing_to_hire_key_staff is true"
)


def test_factory_with_all_three_key_staff_passes_key_staff_criterion() -> None:
    r = result(pakistan(eligible_garment_factory()), "key_staff")
    assert r.outcome == "passed"
    assert r.observed == {
        "has_hr_officer": True,
        "has_compliance_officer": True,
        "has_industrial_engineer": True,
        "willing_to_hire_key_staff": False,
    }
    assert r.expected == KEY_STAFF_EXPECTED


def test_factory_missing_an_engineer_but_willing_to_hire_passes_key_staff_criterion() -> None:
    snapshot = eligible_garment_factory(
        has_industrial_engineer=False, willing_to_hire_key_staff=True
    )
    r = result(pakistan(snapshot), "key_staff")
    assert r.outcome == "passed"
    assert r.explanation == "at least one alternative holds: willing_to_hire_key_staff is true"


def test_factory_missing_an_engineer_and_unwilling_to_hire_fails_key_staff_criterion() -> None:
    snapshot = eligible_garment_factory(
        has_industrial_engineer=False, willing_to_hire_key_staff=False
    )
    r = result(pakistan(snapshot), "key_staff")
    assert r.outcome == "failed"
    assert r.observed == {
        "has_hr_officer": True,
        "has_compliance_officer": True,
        "has_industrial_engineer": False,
        "willing_to_hire_key_staff": False,
    }
    assert r.expected == KEY_STAFF_EXPECTED
    assert "has_industrial_engineer is false" in r.explanation
    assert "willing_to_hire_key_staff is false" in r.explanation


def test_key_staff_is_unknown_when_staff_lacking_and_hiring_question_unanswered() -> None:
    snapshot = without(
        eligible_garment_factory(has_compliance_officer=False), "willing_to_hire_key_staff"
    )
    r = result(pakistan(snapshot), "key_staff")
    assert r.outcome == "unknown"
    assert r.observed == {
        "has_hr_officer": True,
        "has_compliance_officer": False,
        "has_industrial_engineer": True,
        "willing_to_hire_key_staff": None,
    }
    assert r.expected == KEY_STAFF_EXPECTED
    assert "willing_to_hire_key_staff is unknown: no value given" in r.explanation


# --------------------------------------------------------------------------- 7. CEO commitment


def test_ceo_attending_workshops_passes_ceo_commitment_criterion() -> None:
    r = result(pakistan(eligible_garment_factory()), "ceo_commitment")
    assert r.outcome == "passed"
    assert r.observed == {"ceo_attends_workshops": True, "senior_nominee_with_authority": False}
    assert r.expected == "ceo_attends_workshops is true or senior_nominee_with_authority is true"


def test_senior_nominee_with_authority_passes_ceo_commitment_criterion() -> None:
    snapshot = eligible_garment_factory(
        ceo_attends_workshops=False, senior_nominee_with_authority=True
    )
    assert result(pakistan(snapshot), "ceo_commitment").outcome == "passed"


def test_neither_ceo_nor_senior_nominee_fails_ceo_commitment_criterion() -> None:
    snapshot = eligible_garment_factory(
        ceo_attends_workshops=False, senior_nominee_with_authority=False
    )
    r = result(pakistan(snapshot), "ceo_commitment")
    assert r.outcome == "failed"
    assert r.observed == {"ceo_attends_workshops": False, "senior_nominee_with_authority": False}
    assert r.expected == "ceo_attends_workshops is true or senior_nominee_with_authority is true"
    assert r.explanation == (
        "none of the alternatives holds: ceo_attends_workshops is false, but it must be true; "
        "senior_nominee_with_authority is false, but it must be true"
    )


def test_ceo_commitment_is_unknown_when_ceo_declines_and_nominee_unanswered() -> None:
    snapshot = without(
        eligible_garment_factory(ceo_attends_workshops=False), "senior_nominee_with_authority"
    )
    r = result(pakistan(snapshot), "ceo_commitment")
    assert r.outcome == "unknown"
    assert r.observed == {"ceo_attends_workshops": False, "senior_nominee_with_authority": None}
    assert r.expected == "ceo_attends_workshops is true or senior_nominee_with_authority is true"


# --------------------------------------------------------------------------- priority scoring

GHANA_LIKE = [
    CriterionSpec(
        key="women_led",
        label="Women-led business",
        kind="priority",
        weight=2,
        rule=IsTrue(field="women_led"),
    ),
    CriterionSpec(
        key="waste_sector",
        label="Waste management or recycling",
        kind="priority",
        weight=3,
        rule=ValueIn(field="sub_sector", allowed=["waste_management", "recycling"]),
    ),
]


def test_priority_criteria_add_their_weights_when_passed() -> None:
    evaluation = evaluate_criteria(GHANA_LIKE, {"women_led": True, "sub_sector": "recycling"})
    assert evaluation.priority_score == 5
    assert [r.score for r in evaluation.results] == [2, 3]


def test_failed_priority_criterion_scores_zero_but_does_not_exclude() -> None:
    evaluation = evaluate_criteria(GHANA_LIKE, {"women_led": True, "sub_sector": "hotel"})
    assert evaluation.priority_score == 2
    assert evaluation.outcome == "eligible"
    assert evaluation.failed_keys == ["waste_sector"]


def test_unknown_priority_criterion_scores_zero_and_does_not_need_information() -> None:
    evaluation = evaluate_criteria(GHANA_LIKE, {"sub_sector": "waste_management"})
    assert evaluation.priority_score == 3
    assert evaluation.outcome == "eligible"
    assert evaluation.unknown_keys == ["women_led"]


def test_priority_criterion_without_weight_is_refused() -> None:
    with pytest.raises(ValidationError, match="priority criterion needs a weight"):
        CriterionSpec(key="women_led", label="Women-led", kind="priority", rule=IsTrue(field="x"))


def test_hard_criterion_with_weight_is_refused() -> None:
    with pytest.raises(ValidationError, match="hard criterion must have weight 0"):
        CriterionSpec(key="k", label="K", kind="hard", weight=1, rule=IsTrue(field="x"))


# --------------------------------------------------------------------------- set validation


def test_empty_criteria_set_is_refused() -> None:
    message = "a criteria set needs at least one criterion; an empty set would admit everyone"
    with pytest.raises(ValueError, match=message):
        validate_criteria_set([])
    with pytest.raises(ValidationError, match=message):
        CriteriaSet(criteria=[])
    with pytest.raises(ValueError, match=message):
        evaluate_criteria([], {"workforce_total": 500})


def test_duplicate_criterion_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="duplicated: women_led"):
        CriteriaSet(criteria=[GHANA_LIKE[0], GHANA_LIKE[0]])


def test_set_of_only_priority_criteria_is_allowed() -> None:
    assert CriteriaSet(criteria=GHANA_LIKE).criteria == GHANA_LIKE


def test_unknown_rule_type_is_refused_with_an_error_naming_the_field() -> None:
    posted = {
        "criteria": [
            {
                "key": "size",
                "label": "Size",
                "kind": "hard",
                "rule": {"type": "greater_than", "field": "workforce_total", "threshold": 1},
            }
        ]
    }
    with pytest.raises(ValidationError) as caught:
        CriteriaSet.model_validate(posted)
    (error,) = caught.value.errors()
    assert error["loc"] == ("criteria", 0, "rule")
    assert "'type'" in error["msg"]
    assert "greater_than" in error["msg"]


def test_misspelt_rule_parameter_is_refused_with_an_error_naming_it() -> None:
    posted = {
        "key": "size",
        "label": "Size",
        "kind": "hard",
        "rule": {"type": "at_least", "field": "workforce_total", "treshold": 300},
    }
    with pytest.raises(ValidationError) as caught:
        CriterionSpec.model_validate(posted)
    locations = {error["loc"] for error in caught.value.errors()}
    assert ("rule", "at_least", "treshold") in locations  # the typo, as an extra key
    assert ("rule", "at_least", "threshold") in locations  # and the missing parameter


def test_typo_inside_a_nested_rule_is_located_precisely() -> None:
    posted = {
        "key": "staff",
        "label": "Staff",
        "kind": "hard",
        "rule": {"type": "any_of", "rules": [{"type": "is_ture", "field": "has_hr_officer"}]},
    }
    with pytest.raises(ValidationError) as caught:
        CriterionSpec.model_validate(posted)
    (error,) = caught.value.errors()
    assert error["loc"] == ("rule", "any_of", "rules", 0)
    assert "is_ture" in error["msg"]


def test_empty_composite_rule_is_refused() -> None:
    with pytest.raises(ValidationError):
        CriterionSpec.model_validate(
            {"key": "k", "label": "K", "kind": "hard", "rule": {"type": "all_of", "rules": []}}
        )


def test_ratio_threshold_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValidationError):
        RatioAtLeast(numerator="a", denominator="b", threshold=25)


# --------------------------------------------------------------------------- other rule types


def test_at_most_and_between_explain_their_bounds() -> None:
    at_most = evaluate_rule(AtMost(field="workforce_total", threshold=99), {"workforce_total": 150})
    assert at_most.outcome == "failed"
    assert at_most.expected == "<= 99"
    assert at_most.explanation == "workforce_total is 150, above the maximum of 99"

    between = Between(field="workforce_total", minimum=10, maximum=99.5)
    assert evaluate_rule(between, {"workforce_total": 5}).explanation == (
        "workforce_total is 5, below the minimum of 10"
    )
    inside = evaluate_rule(between, {"workforce_total": 50})
    assert inside.outcome == "passed"
    assert inside.expected == "between 10 and 99.5"


def test_between_with_minimum_above_maximum_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not be greater than"):
        Between(field="workforce_total", minimum=100, maximum=10)


def test_infinite_value_is_unknown_and_still_json_serialisable() -> None:
    outcome = evaluate_rule(AtLeast(field="x", threshold=1), {"x": math.inf})
    assert outcome.outcome == "unknown"
    assert outcome.observed == "inf"
