"""Every enrolment table, imported in one place for Alembic and the test fixtures."""

from services.enrolment.assessments.models import Assessment
from services.enrolment.calls.models import Application, Call, CriteriaVersion
from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.cohorts.models import Cohort, CohortEnterprise, CohortTrainer
from services.enrolment.consent.models import Consent, ConsentEvent
from services.enrolment.db import metadata, plumbing
from services.enrolment.delivery.models import (
    Attendance,
    ClassroomSession,
    ConsultingVisit,
    ModuleProgress,
    Participant,
)
from services.enrolment.enterprises.models import Enterprise, EnterpriseBuyer
from services.enrolment.lifecycle.models import Enrolment, StageTransition
from services.enrolment.materials.models import TrainingMaterial, TrainingMaterialVersion
from services.enrolment.meetings.models import CommitmentMeeting
from services.enrolment.orders.models import OrderMonth
from services.enrolment.organisations.models import Organisation, Project, ProjectOrganisation
from services.enrolment.programme_events.models import (
    EventAttendee,
    EventInvitation,
    ProgrammeEvent,
)
from services.enrolment.trainer_evidence.models import TrainerAssignment, TrainerQuizResult
from services.enrolment.trainers.models import Trainer, TrainerCertification

__all__ = [
    "Application",
    "Assessment",
    "Attendance",
    "Call",
    "ClassroomSession",
    "Cohort",
    "CohortEnterprise",
    "CohortTrainer",
    "CommitmentMeeting",
    "Consent",
    "ConsentEvent",
    "ConsultingVisit",
    "CriteriaVersion",
    "Enrolment",
    "Enterprise",
    "EnterpriseBuyer",
    "EventAttendee",
    "EventInvitation",
    "ModuleProgress",
    "OrderMonth",
    "Organisation",
    "Participant",
    "ProgrammeEvent",
    "Project",
    "ProjectOrganisation",
    "StageTransition",
    "Trainer",
    "TrainerAssignment",
    "TrainerCertification",
    "TrainerQuizResult",
    "TrainingMaterial",
    "TrainingMaterialVersion",
    "TrainingModule",
    "metadata",
    "plumbing",
]
