"""Values in and out as files: a CSV or XLSX import becomes one value batch (its errors mapped
back to cells), a round's pre-filled template, and exports of current values in the template
layout (so an export can be edited and re-imported)."""

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes
from services.indicators.imports.files import (
    ValueFile,
    derived_row,
    exported_row,
    required_parts,
    row_cells,
    slug,
    write_file,
)
from services.indicators.imports.parsing import (
    COLUMNS,
    MAX_REPORTED_ERRORS,
    MAX_ROWS,
    FileFormat,
    FileUnreadable,
    ParsedFile,
    ParsedRow,
    RowError,
    indicator_codes,
    parse_sheet,
    read_sheet,
)
from services.indicators.imports.repository import import_repository
from services.indicators.imports.schemas import ImportMode, ImportReport, ImportRowError
from services.indicators.rounds.repository import round_repository
from services.indicators.tenancy import can_enter_values
from services.indicators.values.schemas import BatchResult, ValueBatch
from services.indicators.values.service import value_service
from services.indicators.values.validation import MEASURABLE_STAGES
from shared.identity import Principal
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error

# The value batch's own ceiling: one file is one batch.
_BATCH_FIELD = re.compile(r"^(?:body\.)?values\.(\d+)(?:\.(.+))?$")


def cell_errors(errors: Iterable[dict[str, Any]], rows: Sequence[ParsedRow]) -> list[RowError]:
    """Batch errors (``body.values.<i>.<field>``) as errors of spreadsheet cells."""
    mapped = []
    for error in errors:
        field = str(error.get("field", ""))
        match = _BATCH_FIELD.match(field)
        row = column = None
        if match and int(match[1]) < len(rows):
            row = rows[int(match[1])].number
            column = _column(match[2])
        mapped.append(
            RowError(
                row,
                column,
                str(error.get("rule", "invalid")),
                str(error.get("message", "invalid value")),
                value=error.get("value"),
            )
        )
    return mapped


def result_errors(result: BatchResult, rows: Sequence[ParsedRow]) -> list[RowError]:
    """The rejected rows of a per-row batch result as errors of spreadsheet cells."""
    mapped = []
    for row_result in result.results:
        if row_result.status != "rejected":
            continue
        row = rows[row_result.index]
        for error in row_result.errors or [{"rule": "rejected", "message": "value rejected"}]:
            field = str(error.get("field", ""))
            match = _BATCH_FIELD.match(field)
            mapped.append(
                RowError(
                    row.number,
                    _column(match[2] if match else field.removeprefix("body.") or None),
                    str(error.get("rule", "invalid")),
                    str(error.get("message", "invalid value")),
                    value=error.get("value"),
                )
            )
    return mapped


def name_duplicate_rows(errors: Iterable[RowError], rows: Sequence[ParsedRow]) -> list[RowError]:
    """A value given twice, its other rows named by spreadsheet row (the batch names them by
    their position in the batch, which no row of the file shows)."""
    errors = list(errors)
    repeated = {error.row for error in errors if error.rule == "duplicate_in_batch"}
    if not repeated:
        return errors
    slots: dict[int, tuple[object, ...]] = {}
    for row in rows:
        if row.number in repeated:
            value = row.value
            month = value.month.replace(day=1) if value.month else None
            slots[row.number] = (
                value.enterprise_id,
                value.indicator_code,
                value.round_id,
                month,
                value.project_id,
                value.sex,
                value.role,
            )
    named = []
    for error in errors:
        slot = slots.get(error.row) if error.row is not None else None
        others = [number for number, same in slots.items() if same == slot and number != error.row]
        if error.rule == "duplicate_in_batch" and slot is not None and others:
            error = dataclasses.replace(
                error,
                message="The same enterprise, indicator, period and disaggregation is also "
                f"given in row {', '.join(str(number) for number in others)}: give each "
                "value once",
            )
        named.append(error)
    return named


def _column(field: str | None) -> str | None:
    if not field:
        return None
    head = field.split(".", 1)[0]
    return head if head in COLUMNS else field


def _sorted(errors: Iterable[RowError]) -> list[RowError]:
    def key(error: RowError) -> tuple[int, int, str]:
        position = COLUMNS.index(error.column) if error.column in COLUMNS else len(COLUMNS)
        return (error.row or 0, position, error.rule)

    return sorted(errors, key=key)


class ImportService:
    async def run(
        self,
        session: AsyncSession,
        content: bytes,
        *,
        file_format: FileFormat,
        mode: ImportMode,
        dry_run: bool,
        submit: bool,
        principal: Principal,
    ) -> ImportReport:
        """Import a file. All-or-nothing: any error answers 422 and writes nothing."""
        if not can_enter_values(principal):
            raise Forbidden(f"A {principal.role.value} does not enter indicator values")
        try:
            sheet = read_sheet(content, file_format)
        except FileUnreadable as exc:
            raise self._invalid("The file cannot be imported", exc.errors) from exc
        if not sheet.rows:
            raise self._invalid(
                "The file has no value rows",
                [RowError(None, None, "no_rows", "The file has a header but no rows below it")],
            )
        if len(sheet.rows) > MAX_ROWS:
            raise self._invalid(
                "The file is too long",
                [
                    RowError(
                        None,
                        None,
                        "too_many_rows",
                        f"A file holds at most {MAX_ROWS} rows; split it (score import does)",
                        value=len(sheet.rows),
                    )
                ],
            )
        kinds = await import_repository.indicator_kinds(session, indicator_codes(sheet))
        parsed = parse_sheet(sheet, kinds=kinds)
        if mode == "all_or_nothing":
            result = await self._all_or_nothing(
                session, parsed, dry_run=dry_run, submit=submit, principal=principal
            )
            errors: list[RowError] = []
        else:
            result, errors = await self._per_row(
                session, parsed, dry_run=dry_run, submit=submit, principal=principal
            )
        errors = _sorted(name_duplicate_rows([*parsed.errors, *errors], parsed.values))
        report = ImportReport(
            batch_id=result.batch_id if result else None,
            format=file_format,
            mode=mode,
            dry_run=dry_run,
            submit=submit,
            rows_read=parsed.rows_read,
            accepted=result.accepted if result else 0,
            rejected=len({error.row for error in errors if error.row is not None}),
            skipped=len(parsed.skipped_rows),
            flagged_outliers=result.flagged_outliers if result else 0,
            skipped_rows=parsed.skipped_rows,
            errors_total=len(errors),
            errors=[
                ImportRowError.model_validate(error.as_dict())
                for error in errors[:MAX_REPORTED_ERRORS]
            ],
        )
        if result is not None and not dry_run and result.accepted:
            await changes.audit(
                session,
                principal=principal,
                action="values.imported",
                entity_type="value_batch",
                entity_id=result.batch_id,
                after={
                    "sha256": hashlib.sha256(content).hexdigest(),
                    **report.model_dump(
                        mode="json",
                        include={"format", "mode", "submit", "rows_read", "accepted", "rejected"},
                    ),
                },
            )
        return report

    async def _all_or_nothing(
        self,
        session: AsyncSession,
        parsed: ParsedFile,
        *,
        dry_run: bool,
        submit: bool,
        principal: Principal,
    ) -> BatchResult | None:
        if parsed.errors:
            # Report the rest of the file's errors too, so one round of fixes is enough.
            errors = list(parsed.errors)
            if parsed.values:
                checked = await value_service.submit_batch(
                    session,
                    self._batch(parsed.values, submit=submit),
                    principal=principal,
                    per_row=True,
                    dry_run=True,
                )
                errors += result_errors(checked, parsed.values)
            raise self._rows_invalid(parsed, errors)
        if not parsed.values:
            return None
        try:
            return await value_service.submit_batch(
                session,
                self._batch(parsed.values, submit=submit),
                principal=principal,
                dry_run=dry_run,
            )
        except (InvalidInput, Conflict) as exc:
            raise self._refused(exc, parsed) from exc

    async def _per_row(
        self,
        session: AsyncSession,
        parsed: ParsedFile,
        *,
        dry_run: bool,
        submit: bool,
        principal: Principal,
    ) -> tuple[BatchResult | None, list[RowError]]:
        if not parsed.values:
            return None, []
        try:
            result = await value_service.submit_batch(
                session,
                self._batch(parsed.values, submit=submit),
                principal=principal,
                per_row=True,
                dry_run=dry_run,
            )
        except (InvalidInput, Conflict) as exc:
            # Only what concerns the batch as a whole is refused outright in per-row mode.
            raise self._refused(exc, parsed) from exc
        return result, result_errors(result, parsed.values)

    @staticmethod
    def _batch(rows: Sequence[ParsedRow], *, submit: bool) -> ValueBatch:
        return ValueBatch(values=[row.value for row in rows], submit=submit)

    def _refused(self, exc: InvalidInput | Conflict, parsed: ParsedFile) -> InvalidInput | Conflict:
        """The batch's refusal, its errors pointing at the file's cells."""
        invalid = self._rows_invalid(parsed, cell_errors(exc.errors or [], parsed.values))
        if isinstance(exc, Conflict):
            # Slots locked or under review: the values are fine, the moment is not. A refusal
            # naming no row (another request wrote the same slots at once) keeps its own
            # detail: it says to retry.
            detail = invalid.detail if invalid.extensions["rejected"] else exc.detail
            return Conflict(detail, errors=invalid.errors, **invalid.extensions)
        return invalid

    def _rows_invalid(self, parsed: ParsedFile, errors: Sequence[RowError]) -> InvalidInput:
        errors = name_duplicate_rows(errors, parsed.values)
        rejected = len({error.row for error in errors if error.row is not None})
        detail = (
            f"{rejected} of {parsed.rows_read} rows have errors; nothing was imported"
            if rejected
            else "The batch was refused; nothing was imported"
        )
        return self._invalid(
            detail,
            errors,
            rows_read=parsed.rows_read,
            rejected=rejected,
            skipped=len(parsed.skipped_rows),
        )

    @staticmethod
    def _invalid(detail: str, errors: Sequence[RowError], **counts: int) -> InvalidInput:
        listed = _sorted(errors)[:MAX_REPORTED_ERRORS]
        return InvalidInput(
            detail,
            errors=[error.as_dict() for error in listed],
            errors_total=len(errors),
            **counts,
        )


import_service = ImportService()


class TemplateService:
    async def template(
        self,
        session: AsyncSession,
        *,
        round_id: UUID,
        file_format: FileFormat,
        principal: Principal,
        enterprise_id: UUID | None = None,
    ) -> ValueFile:
        """A row for each value the round needs from each enterprise the caller enters for."""
        if not can_enter_values(principal):
            raise Forbidden(f"A {principal.role.value} does not enter indicator values")
        measurement_round = await round_repository.get(session, round_id, principal=principal)
        if measurement_round is None:
            raise NotFound(f"Measurement round {round_id} not found")
        if enterprise_id is not None:
            enterprise = await import_repository.get_enterprise(
                session, enterprise_id, principal=principal
            )
            if enterprise is None:
                raise NotFound(f"Enterprise {enterprise_id} not found")
        enterprises = await import_repository.enrolled_enterprises(
            session,
            project_id=measurement_round.project_id,
            stages=MEASURABLE_STAGES,
            principal=principal,
            enterprise_id=enterprise_id,
        )
        if enterprise_id is not None and not enterprises:
            raise InvalidInput(
                "The enterprise is not enrolled in the round's project",
                errors=[
                    field_error(
                        "query.enterprise_id",
                        "not_enrolled",
                        "the enterprise takes no part in this round's project",
                        str(enterprise_id),
                    )
                ],
            )
        indicators = await import_repository.enterable_indicators(session)
        derived = await import_repository.derived_indicators(session)
        rows = [
            row_cells(
                enterprise_id=enterprise.id,
                enterprise_name=enterprise.name,
                indicator_code=indicator.code,
                round_id=measurement_round.id,
                project_id=measurement_round.project_id,
                sex=sex,
                role=role,
            )
            for enterprise in enterprises
            for indicator in indicators
            for sex, role in required_parts(indicator.disaggregations)
        ]
        name = slug(measurement_round.name)
        if enterprise_id is not None and enterprises:
            name += "-" + slug(enterprises[0].name)
        return ValueFile(
            filename=f"score-template-{name}.{file_format}",
            file_format=file_format,
            # The indicators sheet lists the derived ones too, with what they come from.
            content=write_file(rows, file_format, indicators=[*indicators, *derived]),
        )


template_service = TemplateService()


class ValueExportService:
    async def values(
        self,
        session: AsyncSession,
        *,
        file_format: FileFormat,
        principal: Principal,
        enterprise_id: UUID | None = None,
        cohort_id: UUID | None = None,
        round_id: UUID | None = None,
    ) -> ValueFile:
        """The current values of one enterprise, or of a cohort's enterprises in its project.

        Entered values only in the values sheet (so the file imports again as it is);
        derived values, computed from the others, on the XLSX file's derived sheet."""
        if (enterprise_id is None) == (cohort_id is None):
            raise InvalidInput(
                "Export one enterprise or one cohort",
                errors=[
                    field_error(
                        "query.enterprise_id",
                        "one_of",
                        "give exactly one of enterprise_id or cohort_id",
                    )
                ],
            )
        project_id = None
        if enterprise_id is not None:
            enterprise = await import_repository.get_enterprise(
                session, enterprise_id, principal=principal
            )
            if enterprise is None:
                raise NotFound(f"Enterprise {enterprise_id} not found")
            enterprise_ids = [enterprise.id]
            name = slug(enterprise.name)
        else:
            assert cohort_id is not None
            cohort = await import_repository.get_cohort(session, cohort_id, principal=principal)
            if cohort is None:
                raise NotFound(f"Cohort {cohort_id} not found")
            enterprise_ids = list(cohort.enterprise_ids)
            project_id = cohort.project_id
            name = slug(cohort.name)
        exported = await import_repository.current_values(
            session,
            enterprise_ids=enterprise_ids,
            principal=principal,
            project_id=project_id,
            round_id=round_id,
        )
        return ValueFile(
            filename=f"score-values-{name}-{date.today().isoformat()}.{file_format}",
            file_format=file_format,
            content=write_file(
                [exported_row(row) for row in exported if not row.value.derived],
                file_format,
                derived=[derived_row(row) for row in exported if row.value.derived],
            ),
        )


value_export_service = ValueExportService()
