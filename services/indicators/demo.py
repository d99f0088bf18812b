"""Demo indicator values behind `score seed --demo`: the Karachi batch's baseline and
endline (seed 000: 5S audit scores up from about 25% to 60%, fewer defects, new practices).

The replica is filled the way the running service fills it, by consuming enrolment's event
feed (here through the enrolment app in-process), so the data passes every real check.
"""

from datetime import date
from decimal import Decimal

import httpx

from services.enrolment.app import create_app as create_enrolment_app
from services.enrolment.settings import EnrolmentSettings
from services.indicators.business_cases.demo import load_business_cases
from services.indicators.db import plumbing
from services.indicators.improvement_plans.schemas import ActionState, ActionStatus, PlanCreate
from services.indicators.improvement_plans.service import plan_service
from services.indicators.replica.consumer import CONSUMER_NAME, apply_enrolment_event
from services.indicators.replica.repository import replica_repository
from services.indicators.rounds.repository import round_repository
from services.indicators.rounds.schemas import RoundCreate, RoundKind
from services.indicators.rounds.service import round_service
from services.indicators.settings import IndicatorsSettings
from services.indicators.suggestions.schemas import SuggestionCreate, SuggestionStatus
from services.indicators.suggestions.service import suggestion_service
from services.indicators.values.schemas import ValueBatch, ValueIn
from services.indicators.values.service import value_service
from shared.consumer import FeedConsumer
from shared.db import Database
from shared.enums import ParticipantRole, Role, Sex
from shared.feeds import feed_token
from shared.identity import Principal
from shared.storage import StorageSettings, make_store

# enterprise: (five_s baseline, endline), (defects baseline, endline) per 10,000 pieces checked
RESULTS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "Indus Knitwear (Pvt) Ltd": ((25, 60), (640, 310)),
    "Korangi Apparel Industries": ((30, 65), (520, 190)),
    "Port Qasim Garments": ((20, 55), (700, 420)),
}
PIECES_CHECKED = 10_000
# Reads what the demo itself may need to skip; its writes go as the partner and manager.
LOADER = Principal(subject="demo-loader", role=Role.service)


async def _fill_replica(enrolment_url: str, indicators: Database) -> int:
    enrolment_database = Database(enrolment_url, pool_size=1)
    app = create_enrolment_app(EnrolmentSettings(), database=enrolment_database)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://enrolment") as http:
            consumer = FeedConsumer(
                name=CONSUMER_NAME,
                feed_url="/events",
                database=indicators,
                plumbing=plumbing,
                handler=apply_enrolment_event,
                token=lambda: feed_token(IndicatorsSettings(), producer="enrolment"),
                http=http,
                wait=0,
            )
            return await consumer.run_until_caught_up()
    finally:
        await enrolment_database.dispose()


# Each Karachi enterprise's improvement plan from Module 1 (seed 002 brochure: "create an
# Enterprise Improvement Plan"): the EIT meets, the suggestion scheme pays, one still to do.
PLAN = PlanCreate(
    module_code="workplace_cooperation",
    title="Workplace cooperation plan 2019",
    agreed_on=date(2018, 12, 10),
    actions=[
        ActionState(
            objective="Managers and workers solve problems together",
            action="Monthly EIT meeting with minutes posted on the notice board",
            owner="HR manager",
            due_on=date(2019, 1, 31),
            status=ActionStatus.done,
            done_on=date(2019, 1, 25),
        ),
        ActionState(
            objective="Workers' ideas are heard and rewarded",
            action="Suggestion boxes on every floor, with a reward for adopted suggestions",
            owner="EIT chair",
            due_on=date(2019, 2, 28),
            status=ActionStatus.done,
            done_on=date(2019, 2, 20),
        ),
        ActionState(
            objective="Fewer defects through cooperation",
            action="Line meetings on the day's defects",
            owner="Production manager",
            due_on=date(2019, 6, 30),
            status=ActionStatus.in_progress,
        ),
    ],
)

COMPLETED_PLAN = PLAN.model_copy(
    update={
        "actions": [
            *PLAN.actions[:2],
            PLAN.actions[2].model_copy(
                update={"status": ActionStatus.done, "done_on": date(2019, 5, 30)}
            ),
        ]
    }
)

# Each Karachi enterprise's suggestion scheme after Module 1 (seed 002: "financial rewards
# to the workers whose suggestions are adopted"): one adopted and rewarded, one rejected.
SUGGESTIONS = [
    SuggestionCreate(
        submitted_on=date(2019, 1, 14),
        title="Colour-coded bins for offcuts at each sewing line",
        role=ParticipantRole.worker,
        sex=Sex.female,
        status=SuggestionStatus.adopted,
        decided_on=date(2019, 1, 28),
        reward_paid=Decimal("5000"),
        savings=Decimal("180000"),
        currency="PKR",
    ),
    SuggestionCreate(
        submitted_on=date(2019, 2, 4),
        title="Second tea break on the night shift",
        role=ParticipantRole.worker,
        sex=Sex.male,
        status=SuggestionStatus.rejected,
        decided_on=date(2019, 2, 18),
    ),
]


async def load_indicator_demo(
    enrolment_url: str, indicators_url: str, *, storage: StorageSettings | None = None
) -> dict[str, int]:
    storage = storage or StorageSettings()
    indicators = Database(indicators_url, pool_size=2)
    try:
        replicated = await _fill_replica(enrolment_url, indicators)
        async with indicators.transaction() as session:
            enterprises = {
                e.name: e for e in await replica_repository.enterprises_named(session, RESULTS)
            }
            if len(enterprises) != len(RESULTS):
                return {"events replicated": replicated}
            any_enterprise = next(iter(enterprises.values()))
            [project_id] = await replica_repository.project_ids(session, any_enterprise.id)
            if await round_repository.of_project(session, project_id, principal=LOADER):
                return {"events replicated": replicated}
            partner = Principal(
                subject="efp-demo",
                role=Role.partner_staff,
                organisation_id=any_enterprise.partner_id,
            )
            manager = Principal(
                subject="pk-manager-demo", role=Role.programme_manager, project_id=project_id
            )
            rounds = {}
            for kind, name, starts, ends in (
                (RoundKind.baseline, "Baseline 2018", date(2018, 9, 1), date(2018, 9, 30)),
                (RoundKind.endline, "Endline 2019", date(2019, 3, 1), date(2019, 3, 31)),
            ):
                created = await round_service.create(
                    session,
                    RoundCreate(
                        project_id=project_id, kind=kind, name=name, starts_on=starts, ends_on=ends
                    ),
                    principal=partner,
                )
                rounds[kind] = created.id
            values: list[ValueIn] = []
            for name, (five_s, defects) in RESULTS.items():
                for index, kind in enumerate((RoundKind.baseline, RoundKind.endline)):
                    practices_in_place = kind is RoundKind.endline
                    measured: list[tuple[str, Decimal | bool]] = [
                        ("five_s_audit_score", Decimal(five_s[index])),
                        ("defects", Decimal(defects[index])),
                        ("pieces_checked", Decimal(PIECES_CHECKED)),
                        ("regular_workplace_meetings", practices_in_place),
                        ("suggestion_scheme", practices_in_place),
                    ]
                    values += [
                        ValueIn(
                            enterprise_id=enterprises[name].id,
                            indicator_code=code,
                            round_id=rounds[kind],
                            value=amount,
                        )
                        for code, amount in measured
                    ]
            result = await value_service.submit_batch(
                session, ValueBatch(values=values, submit=True), principal=partner
            )
            ids = [row.value_id for row in result.results if row.value_id is not None]
            await value_service.validate(session, ids, principal=manager)
            plans = 0
            for name in RESULTS:
                # Port Qasim, alumni since, carried its plan out in full.
                plan = COMPLETED_PLAN if name == "Port Qasim Garments" else PLAN
                await plan_service.create(session, enterprises[name].id, plan, principal=partner)
                plans += 1
            suggestions = 0
            for name in RESULTS:
                for body in SUGGESTIONS:
                    await suggestion_service.create(
                        session, enterprises[name].id, body, principal=partner
                    )
                    suggestions += 1
            cases = await load_business_cases(
                session,
                {name: enterprise.id for name, enterprise in enterprises.items()},
                partner=partner,
                store=make_store(storage),
                storage=storage,
            )
            return {
                "events replicated": replicated,
                "measurement rounds": len(rounds),
                "business cases": cases,
                "indicator values": len(ids),
                "suggestions": suggestions,
                "improvement plans": plans,
            }
    finally:
        await indicators.dispose()
