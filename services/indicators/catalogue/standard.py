"""The standard SCORE indicator set (domain.md, "Measuring improvements") as data.

Each entry passes the same rules as an indicator the ILO adds through the API.
"""

from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.repository import indicator_repository
from services.indicators.catalogue.schemas import (
    Direction,
    Disaggregation,
    Formula,
    IndicatorCreate,
    IndicatorKind,
)
from services.indicators.catalogue.service import catalogue_service, indicator_columns
from shared.columns import utcnow
from shared.enums import Role
from shared.identity import Principal
from shared.ids import new_id

SEEDER = Principal(subject="standard-indicator-set", role=Role.service)
SEED_REASON = "standard SCORE indicator set"

WORKPLACE_COOPERATION = "workplace_cooperation"
QUALITY_MANAGEMENT = "quality_management"
# Clean Production was replaced by SCORE4Climate in 2023; its indicators moved with it.
SCORE4CLIMATE = "score4climate"
WORKFORCE_MANAGEMENT = "workforce_management"
OSH = "osh"

UP, DOWN = Direction.up, Direction.down
BY_SEX = (Disaggregation.sex,)
BY_SEX_AND_ROLE = (Disaggregation.sex, Disaggregation.role)


def _numeric(
    code: str,
    names: tuple[str, str, str],
    *,
    kind: IndicatorKind,
    unit: str,
    direction: Direction,
    module: str,
    by: tuple[Disaggregation, ...] = (),
    formula: Formula | None = None,
    description: str,
) -> IndicatorCreate:
    name_en, name_fr, name_es = names
    return IndicatorCreate(
        code=code,
        name_en=name_en,
        name_fr=name_fr,
        name_es=name_es,
        kind=kind,
        unit=unit,
        direction=direction,
        module_code=module,
        disaggregations=list(by),
        formula=formula,
        description=description,
    )


def _practice(
    code: str, names: tuple[str, str, str], *, module: str, description: str
) -> IndicatorCreate:
    name_en, name_fr, name_es = names
    # Having the practice is the improvement: "yes" is better.
    return IndicatorCreate(
        code=code,
        name_en=name_en,
        name_fr=name_fr,
        name_es=name_es,
        kind=IndicatorKind.yes_no,
        direction=UP,
        module_code=module,
        description=description,
    )


def _ratio(numerator: str, denominator: str, multiplier: int) -> Formula:
    return Formula(numerator=numerator, denominator=denominator, multiplier=Decimal(multiplier))


NUMERIC_INDICATORS: tuple[IndicatorCreate, ...] = (
    # --- quality (Module 2) -------------------------------------------------------------
    _numeric(
        "defects",
        ("Defective pieces", "Pièces défectueuses", "Piezas defectuosas"),
        kind=IndicatorKind.count,
        unit="pieces",
        direction=DOWN,
        module=QUALITY_MANAGEMENT,
        description="Pieces found defective at inspection in the period.",
    ),
    _numeric(
        "pieces_checked",
        ("Pieces checked", "Pièces contrôlées", "Piezas inspeccionadas"),
        kind=IndicatorKind.count,
        unit="pieces",
        direction=UP,
        module=QUALITY_MANAGEMENT,
        description="Pieces inspected in the period; the base of the defect rate.",
    ),
    _numeric(
        "defect_rate",
        ("Defect rate", "Taux de défauts", "Tasa de defectos"),
        kind=IndicatorKind.percentage,
        unit="% of pieces checked",
        direction=DOWN,
        module=QUALITY_MANAGEMENT,
        formula=_ratio("defects", "pieces_checked", 100),
        description="Defective pieces as a percentage of the pieces checked.",
    ),
    # --- safety and health (Module 5) ---------------------------------------------------
    _numeric(
        "accidents",
        ("Work-related accidents", "Accidents du travail", "Accidentes de trabajo"),
        kind=IndicatorKind.count,
        unit="accidents",
        direction=DOWN,
        module=OSH,
        by=BY_SEX,
        description="Recorded work-related accidents, by the sex of the injured worker.",
    ),
    _numeric(
        "hours_worked",
        ("Hours worked", "Heures travaillées", "Horas trabajadas"),
        kind=IndicatorKind.duration,
        unit="hours",
        direction=UP,
        module=OSH,
        by=BY_SEX,
        description="Total hours worked by all workers in the period; the accident rate's base.",
    ),
    _numeric(
        "accident_rate",
        ("Accident rate", "Taux d'accidents", "Tasa de accidentes"),
        kind=IndicatorKind.rate,
        unit="accidents per 200,000 hours worked",
        direction=DOWN,
        module=OSH,
        by=BY_SEX,
        formula=_ratio("accidents", "hours_worked", 200_000),
        description=(
            "Accidents per 200,000 hours worked (100 full-time workers for a year), "
            "comparable across enterprises of any size."
        ),
    ),
    # --- workforce (Module 4) -----------------------------------------------------------
    _numeric(
        "days_absent",
        ("Days absent", "Jours d'absence", "Días de ausencia"),
        kind=IndicatorKind.duration,
        unit="worker-days",
        direction=DOWN,
        module=WORKFORCE_MANAGEMENT,
        by=BY_SEX,
        description="Scheduled work days on which workers were absent, excluding paid leave.",
    ),
    _numeric(
        "scheduled_work_days",
        ("Scheduled work days", "Jours de travail prévus", "Días de trabajo programados"),
        kind=IndicatorKind.duration,
        unit="worker-days",
        direction=UP,
        module=WORKFORCE_MANAGEMENT,
        by=BY_SEX,
        description="Work days scheduled for all workers in the period; absenteeism's base.",
    ),
    _numeric(
        "absenteeism_rate",
        ("Absenteeism rate", "Taux d'absentéisme", "Tasa de ausentismo"),
        kind=IndicatorKind.percentage,
        unit="% of scheduled work days",
        direction=DOWN,
        module=WORKFORCE_MANAGEMENT,
        by=BY_SEX,
        formula=_ratio("days_absent", "scheduled_work_days", 100),
        description="Days absent as a percentage of the scheduled work days.",
    ),
    _numeric(
        "labour_turnover_rate",
        ("Labour turnover rate", "Taux de rotation du personnel", "Tasa de rotación de personal"),
        kind=IndicatorKind.percentage,
        unit="% of average workforce",
        direction=DOWN,
        module=WORKFORCE_MANAGEMENT,
        by=BY_SEX,
        description="Workers who left in the period as a percentage of the average workforce.",
    ),
    _numeric(
        "overtime_hours",
        ("Overtime hours", "Heures supplémentaires", "Horas extraordinarias"),
        kind=IndicatorKind.duration,
        unit="hours",
        direction=DOWN,
        module=WORKFORCE_MANAGEMENT,
        by=BY_SEX,
        description="Hours worked beyond normal working time in the period.",
    ),
    _numeric(
        "jobs_created",
        ("Jobs created", "Emplois créés", "Empleos creados"),
        kind=IndicatorKind.count,
        unit="jobs",
        direction=UP,
        module=WORKFORCE_MANAGEMENT,
        by=BY_SEX,
        description="New positions filled in the period, by the sex of the person hired.",
    ),
    _numeric(
        "workers_social_security",
        (
            "Workers covered by social security",
            "Travailleurs couverts par la sécurité sociale",
            "Trabajadores cubiertos por la seguridad social",
        ),
        kind=IndicatorKind.count,
        unit="workers",
        direction=UP,
        module=WORKFORCE_MANAGEMENT,
        by=BY_SEX,
        description="Workers registered with the national social security scheme.",
    ),
    _numeric(
        "workforce",
        ("Workforce", "Effectif", "Plantilla de personal"),
        kind=IndicatorKind.count,
        unit="workers",
        direction=UP,
        module=WORKFORCE_MANAGEMENT,
        by=BY_SEX_AND_ROLE,
        description="People employed at the unit, by sex and by role (managers, workers).",
    ),
    # --- workplace cooperation (Module 1): productivity, 5S, savings --------------------
    _numeric(
        "productivity",
        ("Labour productivity", "Productivité du travail", "Productividad laboral"),
        kind=IndicatorKind.rate,
        unit="pieces per worker-hour",
        direction=UP,
        module=WORKPLACE_COOPERATION,
        description="Good pieces produced per hour worked.",
    ),
    _numeric(
        # Output above plan is common, so this is a rate ("% of target"), not a share
        # bounded by 100.
        "production_target_achievement",
        (
            "Production target achievement",
            "Taux de réalisation des objectifs de production",
            "Cumplimiento de las metas de producción",
        ),
        kind=IndicatorKind.rate,
        unit="% of planned output",
        direction=UP,
        module=WORKPLACE_COOPERATION,
        description="Actual output as a percentage of the planned output; may exceed 100.",
    ),
    _numeric(
        "retrieval_time",
        (
            "Retrieval time",
            "Temps de recherche des articles",
            "Tiempo de búsqueda de artículos",
        ),
        kind=IndicatorKind.duration,
        unit="minutes",
        direction=DOWN,
        module=WORKPLACE_COOPERATION,
        description="Average time to find a tool, material or document (a 5S measure).",
    ),
    _numeric(
        "five_s_audit_score",
        ("5S audit score", "Score d'audit 5S", "Puntuación de la auditoría 5S"),
        kind=IndicatorKind.percentage,
        unit="% of the maximum score",
        direction=UP,
        module=WORKPLACE_COOPERATION,
        description="Score of the 5S (sort, set, shine, standardise, sustain) audit.",
    ),
    _numeric(
        "cost_savings",
        ("Cost savings", "Économies réalisées", "Ahorro de costos"),
        kind=IndicatorKind.amount,
        unit="local currency",
        direction=UP,
        module=WORKPLACE_COOPERATION,
        description="Savings from improvement projects; each value names its ISO 4217 currency.",
    ),
    # --- resource efficiency (SCORE4Climate, formerly Module 3 Clean Production) --------
    # Measured quantities, not whole counts: monthly flows, comparable between rounds.
    _numeric(
        "waste",
        ("Waste generated", "Déchets produits", "Residuos generados"),
        kind=IndicatorKind.rate,
        unit="kg per month",
        direction=DOWN,
        module=SCORE4CLIMATE,
        description="Solid waste generated, averaged per month over the period.",
    ),
    _numeric(
        "energy_use",
        ("Energy use", "Consommation d'énergie", "Consumo de energía"),
        kind=IndicatorKind.rate,
        unit="kWh per month",
        direction=DOWN,
        module=SCORE4CLIMATE,
        description="Electricity and fuel used, in kilowatt-hours per month.",
    ),
    _numeric(
        "materials_usage",
        ("Raw materials used", "Matières premières utilisées", "Materias primas utilizadas"),
        kind=IndicatorKind.rate,
        unit="kg per month",
        direction=DOWN,
        module=SCORE4CLIMATE,
        description="Raw materials consumed, averaged per month over the period.",
    ),
)

PRACTICE_INDICATORS: tuple[IndicatorCreate, ...] = (
    _practice(
        "osh_policy",
        (
            "Occupational safety and health policy",
            "Politique de sécurité et de santé au travail",
            "Política de seguridad y salud en el trabajo",
        ),
        module=OSH,
        description="A written OSH policy, communicated to all workers.",
    ),
    _practice(
        "ppe_provided",
        (
            "Personal protective equipment provided",
            "Équipements de protection individuelle fournis",
            "Equipos de protección personal proporcionados",
        ),
        module=OSH,
        description="Suitable PPE is provided free of charge to every worker who needs it.",
    ),
    _practice(
        "regular_workplace_meetings",
        (
            "Regular workplace meetings",
            "Réunions régulières sur le lieu de travail",
            "Reuniones periódicas en el lugar de trabajo",
        ),
        module=WORKPLACE_COOPERATION,
        description="Managers and workers meet on a fixed schedule (e.g. daily line meetings).",
    ),
    _practice(
        "suggestion_scheme",
        ("Suggestion scheme", "Système de suggestions", "Sistema de sugerencias"),
        module=WORKPLACE_COOPERATION,
        description="Workers' suggestions are collected, answered and acted upon.",
    ),
    _practice(
        "eit_in_place",
        (
            "Enterprise Improvement Team in place",
            "Équipe d'amélioration de l'entreprise en place",
            "Equipo de mejora de la empresa en funcionamiento",
        ),
        module=WORKPLACE_COOPERATION,
        description="An Enterprise Improvement Team of managers and workers meets regularly.",
    ),
    _practice(
        "grievance_mechanism",
        (
            "Grievance mechanism",
            "Mécanisme de traitement des plaintes",
            "Mecanismo de atención de quejas",
        ),
        module=WORKFORCE_MANAGEMENT,
        description="Workers can raise grievances safely and get an answer within a set time.",
    ),
    _practice(
        "anti_harassment_policy",
        (
            "Anti-harassment policy",
            "Politique de lutte contre le harcèlement",
            "Política contra el acoso",
        ),
        module=WORKFORCE_MANAGEMENT,
        description="A written policy against harassment and violence at work, enforced.",
    ),
    _practice(
        "maternity_policy",
        (
            "Maternity protection policy",
            "Politique de protection de la maternité",
            "Política de protección de la maternidad",
        ),
        module=WORKFORCE_MANAGEMENT,
        description="Maternity leave, benefits and job protection at least as the law requires.",
    ),
    _practice(
        "waste_segregation",
        (
            "Waste segregated for recycling",
            "Tri des déchets pour le recyclage",
            "Separación de residuos para reciclaje",
        ),
        module=SCORE4CLIMATE,
        description="Waste is sorted at source so it can be reused or recycled.",
    ),
)

STANDARD_INDICATORS: tuple[IndicatorCreate, ...] = NUMERIC_INDICATORS + PRACTICE_INDICATORS


async def ensure_standard_indicators(session: AsyncSession) -> int:
    """Insert the standard indicators that are missing, each with its version 1, event and
    audit entry; existing ones (maybe changed by the ILO since) stay as they are.

    Returns how many were inserted. Safe to run on every deployment and concurrently.
    """
    inserted = await indicator_repository.insert_missing(
        session,
        (
            {"id": new_id(), "version": 1, "created_at": utcnow(), **indicator_columns(data)}
            for data in STANDARD_INDICATORS
        ),
    )
    for indicator in inserted:
        await catalogue_service.record_created(
            session, indicator, principal=SEEDER, reason=SEED_REASON
        )
    return len(inserted)
