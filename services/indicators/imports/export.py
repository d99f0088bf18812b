"""Exports of current values in the template layout, so an export can be edited and re-imported."""

from datetime import date
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.imports.parsing import Cell, FileFormat
from services.indicators.imports.repository import ExportedValue, import_repository
from services.indicators.imports.templates import ValueFile, row_cells, slug, write_file
from shared.identity import Principal
from shared.problems import InvalidInput, NotFound, field_error


def derived_row(exported: ExportedValue) -> list[Cell]:
    """A derived value with where it comes from (the XLSX export's derived sheet)."""
    value = exported.value
    lineage = value.lineage or {}
    formula = lineage.get("formula") or {}
    return [
        str(value.enterprise_id),
        exported.enterprise_name,
        exported.indicator_code,
        str(value.round_id) if value.round_id else None,
        value.month.strftime("%Y-%m") if value.month else None,
        value.sex,
        value.role,
        value.value,
        value.status,
        value.version,
        f"{formula.get('numerator')} / {formula.get('denominator')} x {formula.get('multiplier')}"
        if formula
        else None,
        ", ".join(
            f"{i['indicator_code']} {i['value']} (value {i['value_id']} v{i['version']})"
            for i in lineage.get("inputs", [])
        ),
        lineage.get("reason"),
    ]


def exported_row(exported: ExportedValue) -> list[Cell]:
    value = exported.value
    return row_cells(
        enterprise_id=value.enterprise_id,
        enterprise_name=exported.enterprise_name,
        indicator_code=exported.indicator_code,
        round_id=value.round_id,
        month=value.month,
        project_id=value.project_id,
        sex=value.sex,
        role=value.role,
        value=value.value_bool if exported.indicator_kind == "yes_no" else value.value,
        currency=value.currency,
        note=value.note,
    )


class ExportService:
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


export_service = ExportService()
