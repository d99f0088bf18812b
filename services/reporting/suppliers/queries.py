"""``supplierStatus`` in the graph: the buyer-portal contract of
GET /reporting/suppliers/{id}/status (what ``supplier.status_changed`` carries), from the
same service call."""

from datetime import date, datetime
from decimal import Decimal
from typing import Self

import strawberry

from services.reporting.feed.schemas import (
    HeadlineIndicator,
    SupplierModule,
    SupplierStage,
    SupplierStatusData,
)
from services.reporting.graphql.types import Info
from services.reporting.suppliers.service import supplier_service
from shared import enums
from shared.graphql import parse_id
from shared.problems import NotFound


@strawberry.type(name="SupplierStage", description="A supplier's stage in one project, since when")
class Stage:
    project_id: strawberry.ID
    stage: enums.LifecycleStage
    since: datetime

    @classmethod
    def from_model(cls, stage: SupplierStage) -> Self:
        return cls(
            project_id=strawberry.ID(str(stage.project_id)),
            stage=enums.LifecycleStage(stage.stage),
            since=stage.since,
        )


@strawberry.type(name="SupplierModule", description="A module the supplier completed, and when")
class Module:
    module_code: str
    completed_on: date

    @classmethod
    def from_model(cls, module: SupplierModule) -> Self:
        return cls(module_code=module.module_code, completed_on=module.completed_on)


@strawberry.type(
    name="SupplierIndicator",
    description="One headline indicator: the supplier's validated baseline against its endline",
)
class Indicator:
    indicator_code: str
    indicator_name: str
    unit: str
    direction: str = strawberry.field(description="Which way is better: up or down")
    baseline: Decimal | None = strawberry.field(description="Numeric indicators")
    endline: Decimal | None = strawberry.field(description="Numeric indicators")
    relative_change_percent: Decimal | None = strawberry.field(
        description="(endline - baseline) / |baseline| x 100, to 1 decimal"
    )
    baseline_adopted: bool | None = strawberry.field(description="Yes/no practice indicators")
    endline_adopted: bool | None = strawberry.field(description="Yes/no practice indicators")
    improved: bool | None

    @classmethod
    def from_model(cls, indicator: HeadlineIndicator) -> Self:
        return cls(
            indicator_code=indicator.indicator_code,
            indicator_name=indicator.indicator_name,
            unit=indicator.unit,
            direction=indicator.direction,
            baseline=indicator.baseline,
            endline=indicator.endline,
            relative_change_percent=indicator.relative_change_percent,
            baseline_adopted=indicator.baseline_adopted,
            endline_adopted=indicator.endline_adopted,
            improved=indicator.improved,
        )


@strawberry.type(
    name="SupplierStatus",
    description=(
        "What a lead buyer's portal shows of a supplier, as supplier.status_changed carries "
        "it (never its cohorts, nor its other buyers)"
    ),
)
class SupplierStatus:
    enterprise_id: strawberry.ID
    name: str
    country: str
    sector: str
    stages: list[Stage] = strawberry.field(description="Its stage in each project")
    modules_completed: list[Module] = strawberry.field(description="Oldest completion first")
    eit_in_place: bool
    improvement_projects_completed: int
    indicators: list[Indicator] = strawberry.field(
        description="Indicators with a validated baseline and endline"
    )

    @classmethod
    def from_model(cls, status: SupplierStatusData) -> Self:
        return cls(
            enterprise_id=strawberry.ID(str(status.enterprise_id)),
            name=status.name,
            country=status.country,
            sector=status.sector,
            stages=[Stage.from_model(stage) for stage in status.stages],
            modules_completed=[Module.from_model(m) for m in status.modules_completed],
            eit_in_place=status.eit_in_place,
            improvement_projects_completed=status.improvement_projects_completed,
            indicators=[Indicator.from_model(i) for i in status.indicators],
        )


async def supplier_status(info: Info, enterprise_id: strawberry.ID) -> SupplierStatus | None:
    context = info.context
    supplier = parse_id(enterprise_id, "enterpriseId")
    try:
        async with context.database() as session:
            status = await supplier_service.status_snapshot(
                session, supplier, principal=context.principal
            )
    except NotFound:
        return None  # not a supplier the caller may see: as if there were none
    return SupplierStatus.from_model(status)
