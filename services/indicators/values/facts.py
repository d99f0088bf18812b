"""A stored value as the facts its events carry (the contract reporting builds on)."""

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from services.indicators.values.models import IndicatorValue
from services.indicators.values.validation import RoundInfo
from shared.events import IndicatorValueSnapshot

S = TypeVar("S", bound=IndicatorValueSnapshot)


def fact_fields(
    value: IndicatorValue, code: str, rounds: Mapping[UUID, RoundInfo]
) -> dict[str, Any]:
    found = rounds.get(value.round_id) if value.round_id else None
    return {
        "value_id": value.id,
        "enterprise_id": value.enterprise_id,
        "project_id": value.project_id,
        "indicator_id": value.indicator_id,
        "indicator_code": code,
        "indicator_version": value.indicator_version,
        "round_id": value.round_id,
        "round_kind": found.kind if found else None,
        "round_sequence": found.sequence if found else None,
        "month": value.month,
        "sex": value.sex,
        "role": value.role,
        "value": value.value,
        "value_bool": value.value_bool,
        "currency": value.currency,
        "status": value.status,
        "value_version": value.version,
        "derived": value.derived,
    }


def snapshot(
    event: type[S], value: IndicatorValue, code: str, rounds: Mapping[UUID, RoundInfo], **extra: Any
) -> S:
    return event.model_validate({**fact_fields(value, code, rounds), **extra})
