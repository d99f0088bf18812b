"""The enrolment service: organisations, projects, enterprises, calls, lifecycle, training."""

from fastapi import FastAPI

from services.enrolment.assessments.router import router as assessments_router
from services.enrolment.calls.router import router as calls_router
from services.enrolment.catalogue.router import router as catalogue_router
from services.enrolment.cohorts.router import router as cohorts_router
from services.enrolment.consent.router import router as consent_router
from services.enrolment.db import changes
from services.enrolment.delivery.router import router as delivery_router
from services.enrolment.enterprises.router import router as enterprises_router
from services.enrolment.graphql.schema import router as graphql_router
from services.enrolment.lifecycle.router import router as lifecycle_router
from services.enrolment.materials.router import router as materials_router
from services.enrolment.meetings.router import router as meetings_router
from services.enrolment.orders.router import router as orders_router
from services.enrolment.organisations.router import router as organisations_router
from services.enrolment.programme_events.router import router as programme_events_router
from services.enrolment.settings import EnrolmentSettings
from services.enrolment.trainer_evidence.router import router as trainer_evidence_router
from services.enrolment.trainers.router import router as trainers_router
from shared.db import Database
from shared.service_app import create_service_app


def create_app(
    settings: EnrolmentSettings | None = None, database: Database | None = None
) -> FastAPI:
    settings = settings or EnrolmentSettings()
    return create_service_app(
        title="SCORE enrolment",
        description=(
            "Organisations, projects, enterprises, calls for expression of interest with "
            "explained eligibility, the enrolment lifecycle, consent, cohorts and trainers."
        ),
        settings=settings,
        changes=changes,
        routers=[
            organisations_router,
            enterprises_router,
            orders_router,
            calls_router,
            meetings_router,
            lifecycle_router,
            assessments_router,
            consent_router,
            catalogue_router,
            materials_router,
            trainers_router,
            trainer_evidence_router,
            cohorts_router,
            delivery_router,
            programme_events_router,
        ],
        subgraph=graphql_router,
        database=database,
    )
