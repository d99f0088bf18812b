"""The indicator catalogue: reading definitions, and ILO changes kept as numbered versions."""

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.models import Indicator, IndicatorVersion
from services.indicators.catalogue.repository import indicator_repository
from services.indicators.catalogue.schemas import (
    Formula,
    IndicatorCreate,
    IndicatorDefinition,
    IndicatorKind,
    IndicatorPublic,
    IndicatorUpdate,
    IndicatorVersionPublic,
)
from services.indicators.db import changes
from shared.columns import utcnow
from shared.enums import Role
from shared.events import IndicatorChanged, IndicatorCreated, IndicatorSnapshot
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    field_error,
    invalid_from_pydantic,
)

S = TypeVar("S", bound=IndicatorSnapshot)

_DEFINITION_FIELDS = tuple(name for name in IndicatorDefinition.model_fields if name != "code")
# Values are given in the parts, the kind and the unit of their indicator: changing any
# would leave recorded values meaning something else (a baseline in kWh paired with an
# endline in GJ), so it is refused once values exist.
_SHAPE_FIELDS = ("kind", "disaggregations", "unit")
_BOUNDS = ("min_value", "max_value")
CREATED_REASON = "indicator created"


def _require_ilo(principal: Principal) -> None:
    if principal.role is not Role.ilo_global:
        raise Forbidden("Only the ILO global team can change the indicator catalogue")


def indicator_columns(data: IndicatorCreate) -> dict[str, Any]:
    """Column values of a validated definition: enums as text, the formula as JSON."""
    columns = data.model_dump(mode="json")
    # Numbers stay Decimal for the numeric columns (JSON mode made them strings).
    columns["min_value"], columns["max_value"] = data.min_value, data.max_value
    return columns


def _payload(event: type[S], public: IndicatorPublic, **extra: Any) -> S:
    return event.model_validate(
        {
            **public.model_dump(mode="json"),
            "indicator_id": public.id,
            "definition_version": public.version,
            **extra,
        }
    )


def _cycle(start: str, graph: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """A path of formula inputs leading from ``start`` back to it, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        code, path = stack.pop()
        for input_code in graph.get(code, ()):
            if input_code == start:
                return [*path, start]
            if input_code not in seen:
                seen.add(input_code)
                stack.append((input_code, [*path, input_code]))
    return None


def _same_unit(before: str | None, after: str | None) -> bool:
    """A unit spelt anew (case, spacing: "kwh" to "kWh") still means what values were given
    in, and may be corrected once they exist; any other change may not."""

    def spelt(unit: str | None) -> str | None:
        return None if unit is None else " ".join(unit.split()).casefold()

    return spelt(before) == spelt(after)


class CatalogueService:
    # --- for other modules (values, imports, reporting) ---------------------------------

    async def get_by_code_or_404(self, session: AsyncSession, code: str) -> Indicator:
        indicator = await indicator_repository.get_by_code(session, code)
        if indicator is None:
            raise NotFound(f"Indicator '{code}' not found")
        return indicator

    async def get_by_codes(
        self, session: AsyncSession, codes: Collection[str]
    ) -> dict[str, Indicator]:
        """The catalogued indicators among ``codes``, by code, in one query (unknown: absent)."""
        rows = await indicator_repository.get_by_codes(session, codes)
        return {indicator.code: indicator for indicator in rows}

    # --- reading ------------------------------------------------------------------------

    async def get(self, session: AsyncSession, code: str) -> IndicatorPublic:
        return IndicatorPublic.model_validate(await self.get_by_code_or_404(session, code))

    async def get_all(
        self,
        session: AsyncSession,
        *,
        page: PageRequest,
        kind: IndicatorKind | None = None,
        module_code: str | None = None,
        active: bool | None = None,
    ) -> Page[IndicatorPublic]:
        rows = await indicator_repository.get_all(
            session,
            page=page,
            kind=kind.value if kind is not None else None,
            module_code=module_code,
            active=active,
        )
        items = [IndicatorPublic.model_validate(row) for row in rows]
        return make_page(items, page.limit, lambda item: item.id)

    async def versions(self, session: AsyncSession, code: str) -> list[IndicatorVersionPublic]:
        indicator = await self.get_by_code_or_404(session, code)
        rows = await indicator_repository.versions(session, indicator.id)
        return [IndicatorVersionPublic.build(indicator.code, row) for row in rows]

    async def get_version(
        self, session: AsyncSession, code: str, version: int
    ) -> IndicatorVersionPublic:
        indicator = await self.get_by_code_or_404(session, code)
        row = await indicator_repository.version(session, indicator.id, version)
        if row is None:
            raise NotFound(
                f"Indicator '{code}' has no version {version} (current: {indicator.version})"
            )
        return IndicatorVersionPublic.build(indicator.code, row)

    # --- changing (ILO) -----------------------------------------------------------------

    async def create(
        self, session: AsyncSession, data: IndicatorCreate, *, principal: Principal
    ) -> IndicatorPublic:
        _require_ilo(principal)
        taken = Conflict(
            f"An indicator with code '{data.code}' already exists",
            errors=[field_error("body.code", "unique", "already in the catalogue", data.code)],
        )
        if await indicator_repository.get_by_code(session, data.code) is not None:
            raise taken
        await self._check_formula(session, data)
        indicator = Indicator(**indicator_columns(data), version=1)
        try:
            # A concurrent request may have created the same code since the check above.
            async with session.begin_nested():
                session.add(indicator)
        except IntegrityError as exc:
            raise taken from exc
        return await self.record_created(session, indicator, principal=principal)

    async def record_created(
        self,
        session: AsyncSession,
        indicator: Indicator,
        *,
        principal: Principal,
        reason: str = CREATED_REASON,
    ) -> IndicatorPublic:
        """Version 1, the ``indicator.created`` event and the audit entry of a new row."""
        public = IndicatorPublic.model_validate(indicator)
        await self._add_version(session, indicator, principal=principal, reason=reason)
        await changes.emit(session, _payload(IndicatorCreated, public), principal=principal)
        await changes.audit(
            session,
            principal=principal,
            action="indicator.created",
            entity_type="indicator",
            entity_id=indicator.id,
            after=public,
            reason=reason,
        )
        return public

    async def update(
        self, session: AsyncSession, code: str, data: IndicatorUpdate, *, principal: Principal
    ) -> IndicatorPublic:
        """A new version of the definition; a request that changes nothing adds none."""
        _require_ilo(principal)
        indicator = await indicator_repository.get_by_code(session, code, for_update=True)
        if indicator is None:
            raise NotFound(f"Indicator '{code}' not found")
        before = IndicatorPublic.model_validate(indicator)
        requested = data.model_dump(exclude_unset=True, exclude={"reason"})
        merged = before.model_dump(include={"code", *_DEFINITION_FIELDS}) | requested
        if "kind" in requested:
            # Bounds of the old kind rarely suit the new one: unless given, take the new
            # kind's defaults (a percentage's 0..100, none for yes/no).
            for bound in _BOUNDS:
                if bound not in requested:
                    merged[bound] = None
        try:
            proposed = IndicatorCreate.model_validate(merged)
        except ValidationError as exc:
            raise invalid_from_pydantic(exc) from exc
        after_definition = IndicatorDefinition.model_validate(proposed.model_dump())
        changed = [
            field
            for field in _DEFINITION_FIELDS
            if getattr(after_definition, field) != getattr(before, field)
        ]
        if not changed:
            return before
        if proposed.formula is not None and {"formula", *_SHAPE_FIELDS} & set(changed):
            await self._check_formula(session, proposed)
        await self._refuse_orphaning_values(session, indicator, before, proposed, changed)
        await self._refuse_breaking_formulas(session, indicator, proposed, changed)

        for field, value in indicator_columns(proposed).items():
            if field in changed:
                setattr(indicator, field, value)
        indicator.version += 1
        indicator.updated_at = utcnow()
        session.add(indicator)
        await session.flush()
        after = IndicatorPublic.model_validate(indicator)
        await self._add_version(session, indicator, principal=principal, reason=data.reason)
        await changes.emit(
            session,
            _payload(IndicatorChanged, after, changed_fields=changed, reason=data.reason),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="indicator.changed",
            entity_type="indicator",
            entity_id=indicator.id,
            before=before,
            after=after,
            reason=data.reason,
        )
        return after

    # --- rules --------------------------------------------------------------------------

    async def _check_formula(self, session: AsyncSession, data: IndicatorCreate) -> None:
        """A formula's inputs are other numeric indicators of the catalogue, given in (at
        least) the derived indicator's parts, and no formula leads back to itself."""
        formula = data.formula
        if formula is None:
            return
        inputs = await self.get_by_codes(session, formula.inputs)
        errors = []
        for part in ("numerator", "denominator"):
            input_code: str = getattr(formula, part)
            field = f"body.formula.{part}"
            source = inputs.get(input_code)
            if input_code == data.code:
                errors.append(
                    field_error(
                        field, "not_self", "a derived indicator cannot use itself", input_code
                    )
                )
            elif source is None:
                errors.append(
                    field_error(
                        field, "indicator", "must be an indicator in the catalogue", input_code
                    )
                )
            elif source.kind == IndicatorKind.yes_no:
                errors.append(
                    field_error(
                        field,
                        "numeric",
                        "must be a numeric indicator, not a yes/no practice",
                        input_code,
                    )
                )
            elif missing := [
                d.value for d in data.disaggregations if d not in source.disaggregations
            ]:
                errors.append(
                    field_error(
                        field,
                        "disaggregation",
                        f"'{input_code}' is not given by {' and '.join(missing)}, "
                        f"so '{data.code}' cannot be derived by it",
                        input_code,
                    )
                )
        if not errors:
            graph = {
                row.code: Formula.model_validate(row.formula).inputs
                for row in await indicator_repository.derived(session)
            }
            graph[data.code] = formula.inputs
            cycle = _cycle(data.code, graph)
            if cycle is not None:
                errors.append(
                    field_error(
                        "body.formula",
                        "no_cycle",
                        "the formula would compute the indicator from itself: "
                        + " -> ".join(cycle),
                    )
                )
        if errors:
            raise InvalidInput(
                f"The formula of '{data.code}' cannot be computed from the catalogue",
                errors=errors,
            )

    async def _refuse_orphaning_values(
        self,
        session: AsyncSession,
        indicator: Indicator,
        before: IndicatorPublic,
        proposed: IndicatorCreate,
        changed: list[str],
    ) -> None:
        shape = [
            field
            for field in _SHAPE_FIELDS
            if field in changed and not (field == "unit" and _same_unit(before.unit, proposed.unit))
        ]
        if not shape:
            return
        count = await indicator_repository.value_count(session, indicator.id)
        if count == 0:
            return
        described = " and ".join(
            f"{field} from {_shown(getattr(before, field))} to {_shown(getattr(proposed, field))}"
            for field in shape
        )
        raise Conflict(
            f"Indicator '{indicator.code}' already has {count} recorded value(s); changing its "
            f"{described} would orphan them or change what they mean, so nothing was changed. "
            "Retire it (active: false) and create a new indicator instead.",
            errors=[
                field_error(
                    f"body.{field}",
                    "values_exist",
                    f"{count} recorded value(s) were given with {field} "
                    f"{_shown(getattr(before, field))}; changing it would change what they mean",
                    _shown(getattr(proposed, field)),
                )
                for field in shape
            ],
            value_count=count,
        )

    async def _refuse_breaking_formulas(
        self,
        session: AsyncSession,
        indicator: Indicator,
        proposed: IndicatorCreate,
        changed: list[str],
    ) -> None:
        if not set(_SHAPE_FIELDS) & set(changed):
            return
        errors = []
        for user in await indicator_repository.using_as_input(session, indicator.code):
            if user.id == indicator.id:
                continue
            if proposed.kind is IndicatorKind.yes_no:
                errors.append(
                    field_error(
                        "body.kind",
                        "formula_input",
                        f"'{user.code}' is derived from this indicator, which must stay numeric",
                        proposed.kind.value,
                    )
                )
            missing = [d for d in user.disaggregations if d not in proposed.disaggregations]
            if missing:
                errors.append(
                    field_error(
                        "body.disaggregations",
                        "formula_input",
                        f"'{user.code}' is derived from this indicator by "
                        f"{' and '.join(missing)}; those parts must stay",
                        _shown(proposed.disaggregations),
                    )
                )
        if errors:
            raise Conflict(
                f"Other indicators are derived from '{indicator.code}'; the change would break "
                "their formulas, so nothing was changed",
                errors=errors,
            )

    async def _add_version(
        self, session: AsyncSession, indicator: Indicator, *, principal: Principal, reason: str
    ) -> None:
        definition = IndicatorDefinition.model_validate(indicator).model_dump(mode="json")
        session.add(
            IndicatorVersion(
                indicator_id=indicator.id,
                version=indicator.version,
                definition=definition,
                changed_by=principal.actor,
                reason=reason,
            )
        )
        await session.flush()


def _shown(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


catalogue_service = CatalogueService()
