"""The lifecycle of an enterprise in a project as an explicit state machine (domain.md).

Screening stages are set by evaluating an application and shortlisting by the call's
shortlist; people move an enterprise through the rest. Withdrawal and dropping are
possible from any stage that is not final.
"""

from dataclasses import dataclass

from shared.enums import LifecycleStage as S

# Stages only the platform sets (from an application's evaluation or a call's shortlist).
SCREENING_STAGES = frozenset({S.eligible, S.ineligible, S.needs_information, S.shortlisted})
# Stages reached by recording the assessment (POST /enrolments/{id}/assessments), never by
# a bare transition: the stage moves with the record of what was assessed.
ASSESSMENT_STAGES = frozenset(
    {S.initial_assessment, S.baseline_assessment, S.comprehensive_baseline}
)
SYSTEM_STAGES = SCREENING_STAGES | ASSESSMENT_STAGES

FINAL_STAGES = frozenset({S.alumni, S.withdrawn, S.dropped})

_EXITS = (S.withdrawn, S.dropped)

TRANSITIONS: dict[S, tuple[S, ...]] = {
    S.expression_of_interest: (S.eligible, S.ineligible, S.needs_information),
    # Re-screening after a profile update may move between the three outcomes.
    S.needs_information: (S.eligible, S.ineligible),
    S.ineligible: (S.eligible, S.needs_information),
    S.eligible: (S.shortlisted, S.ineligible, S.needs_information),
    S.shortlisted: (S.initial_assessment,),
    S.initial_assessment: (S.baseline_assessment,),
    S.baseline_assessment: (S.consent_signed,),
    # Level 1 (Module 1 short course) needs the signed consent form first.
    S.consent_signed: (S.level1,),
    S.level1: (S.level1_completed,),
    S.level1_completed: (S.level2_interest, S.alumni),
    S.level2_interest: (S.comprehensive_baseline,),
    S.comprehensive_baseline: (S.level2_shortlisted,),
    S.level2_shortlisted: (S.level2,),
    S.level2: (S.level2_completed,),
    S.level2_completed: (S.alumni,),
    S.alumni: (),
    S.withdrawn: (),
    S.dropped: (),
}


# The programme's path in order: an enterprise "has reached" a stage when it stands at it or
# further along. Screening outcomes all come before shortlisting.
PATH: tuple[S, ...] = (
    S.expression_of_interest,
    S.needs_information,
    S.ineligible,
    S.eligible,
    S.shortlisted,
    S.initial_assessment,
    S.baseline_assessment,
    S.consent_signed,
    S.level1,
    S.level1_completed,
    S.level2_interest,
    S.comprehensive_baseline,
    S.level2_shortlisted,
    S.level2,
    S.level2_completed,
    S.alumni,
)


def has_reached(stage: S, required: S) -> bool:
    """Whether an enterprise at ``stage`` has come as far as ``required`` (never when it
    withdrew or was dropped)."""
    if stage not in PATH or required not in PATH:
        return False
    return PATH.index(stage) >= PATH.index(required)


def allowed_next(stage: S) -> tuple[S, ...]:
    forward = TRANSITIONS[stage]
    return forward if stage in FINAL_STAGES else (*forward, *_EXITS)


def people_next(stage: S) -> tuple[S, ...]:
    """The next stages a person may choose (screening outcomes are the platform's to set)."""
    return tuple(s for s in allowed_next(stage) if s not in SYSTEM_STAGES)


@dataclass(frozen=True)
class Refusal:
    """Why a transition cannot happen; rendered as a 409 problem naming the stages."""

    detail: str
    current: S
    allowed: tuple[S, ...]


def check_transition(
    current: S, target: S, *, by_system: bool, consent_form_reference: str | None
) -> Refusal | None:
    # A person is told only the stages they could actually choose, or the error would
    # invite them to try a screening outcome that is then refused too.
    allowed = allowed_next(current) if by_system else people_next(current)
    names = ", ".join(s.value for s in allowed) or f"none ({current.value} is a final stage)"
    where = f"current stage {current.value}; allowed next stages: {names}"
    if target not in allowed_next(current):
        return Refusal(
            f"Cannot move from {current.value} to {target.value}: {where}", current, allowed
        )
    if target in ASSESSMENT_STAGES and not by_system:
        return Refusal(
            f"{target.value} is reached by recording the assessment "
            "(POST /enrolments/{enrolment_id}/assessments), not by hand: " + where,
            current,
            allowed,
        )
    if target in SYSTEM_STAGES and not by_system:
        return Refusal(
            f"{target.value} is set by evaluating the application or shortlisting the call, "
            f"not by hand: {where}",
            current,
            allowed,
        )
    if target is S.consent_signed and not consent_form_reference:
        return Refusal(
            "Moving to consent_signed needs the signed consent form (consent_form_reference): "
            + where,
            current,
            allowed,
        )
    return None
