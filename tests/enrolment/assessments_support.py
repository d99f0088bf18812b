"""Assessment bodies for tests: the stage each kind reaches, and a minimal valid record."""

from typing import Any

from shared.enums import LifecycleStage

# The stage an assessment of each kind brings an enterprise to.
ASSESSED: dict[LifecycleStage, str] = {
    LifecycleStage.initial_assessment: "initial",
    LifecycleStage.baseline_assessment: "baseline",
    LifecycleStage.comprehensive_baseline: "comprehensive_baseline",
}


def assessment_body(kind: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "assessed_on": "2018-09-12",
        "assessor": "Ayesha Siddiqui",
        "findings": [
            {"area": "Quality management", "score": 2, "finding": "Defects found only at the end"}
        ],
        "priority_modules": ["quality_management", "osh"],
    }
    body.update(overrides)
    return body
