"""The demo data set behind `score seed --demo`: realistic, fictional enterprises in the
shape of the SCORE programme (seeds 000-004), loaded through the service layer so every
record has its events and audit trail like real data."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.assessments.schemas import AssessmentCreate, AssessmentKind, Finding
from services.enrolment.assessments.service import assessment_service
from services.enrolment.calls.presets import load_preset
from services.enrolment.calls.questions import CallQuestion
from services.enrolment.calls.repository import call_repository
from services.enrolment.calls.rules import CriterionSpec
from services.enrolment.calls.schemas import (
    ApplicationAnswers,
    ApplicationCreate,
    CallCreate,
    ShortlistRequest,
)
from services.enrolment.calls.service import application_service, call_service
from services.enrolment.cohorts.schemas import CohortCreate
from services.enrolment.cohorts.service import cohort_service
from services.enrolment.consent.schemas import ConsentGive, ConsentWithdraw
from services.enrolment.consent.service import consent_service
from services.enrolment.delivery.schemas import (
    AttendanceMark,
    ClassroomSessionCreate,
    ConsultingVisitCreate,
    ParticipantCreate,
    ProgressUpdate,
)
from services.enrolment.delivery.service import (
    classroom_service,
    participant_service,
    progress_service,
    visit_service,
)
from services.enrolment.enterprises.schemas import EnterpriseCreate
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.lifecycle.service import lifecycle_service
from services.enrolment.materials.demo import load_materials
from services.enrolment.meetings.schemas import Attendee, Commitment, MeetingCreate
from services.enrolment.meetings.service import meeting_service
from services.enrolment.orders.schemas import MonthOrders, OrderStatusPut
from services.enrolment.orders.service import order_service
from services.enrolment.organisations.repository import organisation_repository
from services.enrolment.organisations.schemas import OrganisationCreate, ProjectCreate
from services.enrolment.organisations.service import organisation_service, project_service
from services.enrolment.programme_events.schemas import (
    AttendanceSheet,
    AttendeeIn,
    EventCreate,
    EventKind,
    InvitationPut,
)
from services.enrolment.programme_events.service import programme_event_service
from services.enrolment.settings import EnrolmentSettings
from services.enrolment.trainer_evidence.demo import load_evidence
from services.enrolment.trainers.schemas import CertificationPut, TrainerCreate
from services.enrolment.trainers.service import trainer_service
from shared.db import Database
from shared.enums import (
    CertificationLevel,
    DeliveryMode,
    LifecycleStage,
    OrganisationKind,
    ParticipantRole,
    Role,
    Sex,
)
from shared.identity import Principal
from shared.storage import FileStore, StorageSettings, make_store

LOADER = Principal(subject="demo-loader", role=Role.ilo_global)

ORGANISATIONS: list[dict[str, Any]] = [
    {"name": "Employers' Federation of Pakistan", "short_name": "EFP",
     "kind": OrganisationKind.implementation_partner, "country": "PK"},
    {"name": "Management Development and Productivity Institute", "short_name": "MDPI",
     "kind": OrganisationKind.implementation_partner, "country": "GH"},
    {"name": "National Productivity and Competitiveness Council", "short_name": "NPCC",
     "kind": OrganisationKind.implementation_partner, "country": "MU"},
    {"name": "Inditex", "short_name": "Inditex", "kind": OrganisationKind.lead_buyer,
     "country": "ES"},
    {"name": "Adidas", "short_name": "Adidas", "kind": OrganisationKind.lead_buyer,
     "country": "DE"},
    {"name": "European Union", "short_name": "EU", "kind": OrganisationKind.funder,
     "country": "BE"},
    {"name": "Swiss State Secretariat for Economic Affairs", "short_name": "SECO",
     "kind": OrganisationKind.funder, "country": "CH"},
    {"name": "Norwegian Agency for Development Cooperation", "short_name": "NORAD",
     "kind": OrganisationKind.funder, "country": "NO"},
]  # fmt: skip

# (partner, project, profile): the Pakistan ones span every eligibility outcome.
ENTERPRISES: list[tuple[str, str, dict[str, Any]]] = [
    ("EFP", "ILES Pakistan", {"name": "Indus Knitwear (Pvt) Ltd", "city": "Karachi",
     "sub_sector": "ready_made_garments", "workforce_total": 850, "workforce_permanent": 640,
     "workforce_female": 310, "workforce_male": 540, "registration_number": "KHI-0001931",
     "has_hr_officer": True, "has_compliance_officer": True, "has_industrial_engineer": True,
     "buyers": ["Inditex"]}),
    ("EFP", "ILES Pakistan", {"name": "Crescent Denim Dyeing", "city": "Karachi",
     "sub_sector": "dyeing_woven", "workforce_total": 420, "workforce_permanent": 300,
     "workforce_female": 60, "workforce_male": 360, "has_hr_officer": True,
     "has_compliance_officer": False, "has_industrial_engineer": True, "buyers": ["Adidas"]}),
    ("EFP", "ILES Pakistan", {"name": "Korangi Apparel Industries", "city": "Karachi",
     "sub_sector": "ready_made_garments", "workforce_total": 1200, "workforce_permanent": 1000,
     "workforce_female": 520, "workforce_male": 680, "has_hr_officer": True,
     "has_compliance_officer": True, "has_industrial_engineer": True,
     "buyers": ["Inditex", "Adidas"]}),
    ("EFP", "ILES Pakistan", {"name": "Port Qasim Garments", "city": "Karachi",
     "sub_sector": "ready_made_garments", "workforce_total": 600, "workforce_permanent": 450,
     "workforce_female": 250, "workforce_male": 350, "has_hr_officer": True,
     "has_compliance_officer": True, "has_industrial_engineer": False}),
    ("EFP", "ILES Pakistan", {"name": "Sialkot Stitchers", "city": "Sialkot",
     "sub_sector": "ready_made_garments", "workforce_total": 250, "workforce_permanent": 200,
     "workforce_female": 90, "workforce_male": 160}),
    ("EFP", "ILES Pakistan", {"name": "Lahore Leather Works", "city": "Lahore",
     "sub_sector": "leather", "workforce_total": 500, "workforce_permanent": 400}),
    ("EFP", "ILES Pakistan", {"name": "Hub Textile Processing", "city": "Hub",
     "sub_sector": "dyeing_knitwear", "workforce_total": 320, "workforce_permanent": 70}),
    ("EFP", "ILES Pakistan", {"name": "Faisalabad Fabrics", "city": "Faisalabad",
     "sub_sector": "dyeing_knitwear", "workforce_total": 380}),
    ("MDPI", "SCORE Ghana Phase III", {"name": "Accra Recycling Works", "city": "Accra",
     "sector": "waste", "sub_sector": "recycling", "women_led": True, "workforce_total": 85,
     "workforce_permanent": 60, "workforce_female": 40, "workforce_male": 45}),
    ("MDPI", "SCORE Ghana Phase III", {"name": "Kumasi Food Processors", "city": "Kumasi",
     "sector": "food", "sub_sector": "food_processing", "women_led": False,
     "workforce_total": 140, "workforce_permanent": 110, "workforce_female": 70,
     "workforce_male": 70}),
    ("MDPI", "SCORE Ghana Phase III", {"name": "Tema Packaging", "city": "Tema",
     "sector": "manufacturing", "sub_sector": "packaging", "women_led": True,
     "workforce_total": 95, "workforce_permanent": 80}),
    ("NPCC", "SCORE Mauritius", {"name": "Port Louis Garments", "city": "Port Louis",
     "sub_sector": "ready_made_garments", "workforce_total": 310, "workforce_permanent": 280,
     "workforce_female": 200, "workforce_male": 110}),
    ("NPCC", "SCORE Mauritius", {"name": "Curepipe Hotel and Spa", "city": "Curepipe",
     "sector": "tourism", "sub_sector": "hotel", "workforce_total": 120,
     "workforce_permanent": 95, "workforce_female": 55, "workforce_male": 65}),
]  # fmt: skip

PROJECTS: list[dict[str, Any]] = [
    {"name": "ILES Pakistan", "country": "PK", "start_date": date(2017, 1, 1),
     "end_date": date(2022, 12, 31), "partners": ["EFP"], "funders": ["EU"]},
    {"name": "SCORE Ghana Phase III", "country": "GH", "start_date": date(2017, 7, 1),
     "end_date": date(2021, 6, 30), "partners": ["MDPI"], "funders": ["SECO", "NORAD"]},
    {"name": "SCORE Mauritius", "country": "MU", "start_date": date(2020, 1, 1),
     "end_date": date(2024, 12, 31), "partners": ["NPCC"], "funders": ["SECO"]},
]  # fmt: skip


ALL_YES = {
    "willing_to_share_order_status": True,
    "willing_to_share_baseline_data": True,
    "ceo_attends_workshops": True,
}
# Declarations per enterprise where they differ from ALL_YES.
ANSWERS: dict[str, dict[str, bool]] = {
    "Crescent Denim Dyeing": {**ALL_YES, "willing_to_hire_key_staff": True},
    "Port Qasim Garments": {**ALL_YES, "willing_to_hire_key_staff": True},
    "Faisalabad Fabrics": {"willing_to_share_order_status": True},
}

S = LifecycleStage
_LEVEL1 = [S.initial_assessment, S.baseline_assessment, S.consent_signed, S.level1]
# Where each shortlisted Pakistan enterprise stands today (seed 000/001: alumni and new batch).
JOURNEYS: dict[str, list[LifecycleStage]] = {
    "Indus Knitwear (Pvt) Ltd": _LEVEL1,
    "Korangi Apparel Industries": [
        *_LEVEL1, S.level1_completed, S.level2_interest, S.comprehensive_baseline,
        S.level2_shortlisted, S.level2,
    ],
    "Port Qasim Garments": [*_LEVEL1, S.level1_completed, S.alumni],
    "Crescent Denim Dyeing": [S.initial_assessment],
}  # fmt: skip

# The assessments behind the assessment stages (seed 002: the initial assessment with the
# CEO meeting, the baseline before Level 1, the comprehensive baseline choosing Level 2).
ASSESSMENTS: dict[LifecycleStage, AssessmentCreate] = {
    S.initial_assessment: AssessmentCreate(
        kind=AssessmentKind.initial,
        assessed_on=date(2018, 8, 28),
        assessor="EFP assessment team",
        findings=[
            Finding(area="Workplace cooperation", score=2,
                    finding="No worker-manager meetings; complaints go to line supervisors"),
        ],
    ),
    S.baseline_assessment: AssessmentCreate(
        kind=AssessmentKind.baseline,
        assessed_on=date(2018, 9, 12),
        assessor="Ayesha Siddiqui",
        findings=[
            Finding(area="Quality management", score=2,
                    finding="Defects found only at final inspection; rework on every line"),
            Finding(area="Occupational safety and health", score=3,
                    finding="PPE issued but not worn in the dyeing section"),
        ],
        priority_modules=["quality_management", "osh", "workforce_management"],
    ),
    S.comprehensive_baseline: AssessmentCreate(
        kind=AssessmentKind.comprehensive_baseline,
        assessed_on=date(2019, 6, 20),
        assessor="Farhan Qureshi",
        findings=[
            Finding(area="Quality management", score=3,
                    finding="Line meetings in place; defect data kept but not analysed"),
        ],
        priority_modules=["quality_management", "osh"],
    ),
}  # fmt: skip

# The meetings with the Karachi applicants' CEOs (seed 002: "an individual meeting will be
# held with the company CEO/main decision maker"); Korangi's CEO sends a nominee.
_CEO_MEETING = MeetingCreate(
    held_on=date(2018, 8, 14),
    attendees=[
        Attendee(name="Chief executive", position="Chief Executive Officer", decision_maker=True),
        Attendee(name="EFP project officer", position="Employers' Federation of Pakistan"),
    ],
    commitment=Commitment.ceo_attends,
)
MEETINGS: dict[str, MeetingCreate] = {
    "Indus Knitwear (Pvt) Ltd": _CEO_MEETING,
    "Port Qasim Garments": _CEO_MEETING,
    "Crescent Denim Dyeing": _CEO_MEETING,
    "Korangi Apparel Industries": MeetingCreate(
        held_on=date(2018, 8, 16),
        attendees=[
            Attendee(name="Tariq Mehmood", position="Managing Director", decision_maker=True),
            Attendee(name="Nadia Hussain", position="General Manager, Operations"),
        ],
        commitment=Commitment.senior_nominee,
        nominee_name="Nadia Hussain",
        nominee_position="General Manager, Operations",
        nominee_decision_authority=True,
    ),
}

GHANA_PRIORITIES = [
    CriterionSpec.model_validate(c)
    for c in (
        {"key": "women_led", "label": "Women-led business", "kind": "priority", "weight": 2,
         "rule": {"type": "is_true", "field": "women_led"}},
        {"key": "waste_or_recycling", "label": "Waste management or recycling", "kind":
         "priority", "weight": 3, "rule": {"type": "value_in", "field": "sub_sector",
                                            "allowed": ["waste_management", "recycling"]}},
        {"key": "green_practices", "label": "Adapts green and eco-friendly business practices",
         "kind": "priority", "weight": 1,
         "rule": {"type": "is_true", "field": "green_practices"}},
    )
]  # fmt: skip
# The Ghana call's own question (seed 003), and who answered yes (Tema has not answered).
GHANA_QUESTIONS = [
    CallQuestion(
        key="green_practices",
        label="Does the enterprise adapt green and eco-friendly business practices?",
        type="yes_no",
    )
]
GREEN_ANSWERS = {"Accra Recycling Works": True, "Kumasi Food Processors": False}

# The 2018 Pakistan call closed on 10 August 2018 (seed 002), Pakistan time.
PAKISTAN_2018_DEADLINE = datetime(2018, 8, 10, 18, 59, tzinfo=UTC)


async def load_demo(url: str, *, storage: StorageSettings | None = None) -> dict[str, int]:
    """Load the demo once; a second run finds EFP already there and changes nothing."""
    storage = storage or StorageSettings()
    database = Database(url, pool_size=2)
    try:
        async with database.transaction() as session:
            if await organisation_repository.get_by_name(session, ORGANISATIONS[0]["name"]):
                return {"already loaded": 1}
            orgs: dict[str, UUID] = {}
            for org in ORGANISATIONS:
                created = await organisation_service.create(
                    session, OrganisationCreate(**org), principal=LOADER
                )
                orgs[org["short_name"]] = created.id
            projects: dict[str, UUID] = {}
            for project in PROJECTS:
                body = ProjectCreate(
                    name=project["name"],
                    country=project["country"],
                    start_date=project["start_date"],
                    end_date=project["end_date"],
                    partner_ids=[orgs[p] for p in project["partners"]],
                    funder_ids=[orgs[f] for f in project["funders"]],
                )
                projects[project["name"]] = (
                    await project_service.create(session, body, principal=LOADER)
                ).id
            enterprises: dict[str, UUID] = {}
            for partner, _project, profile in ENTERPRISES:
                registrar = Principal(
                    subject=f"{partner.lower()}-demo",
                    role=Role.partner_staff,
                    organisation_id=orgs[partner],
                )
                fields = {k: v for k, v in profile.items() if k != "buyers"}
                country = next(p["country"] for p in PROJECTS if p["partners"] == [partner])
                body_enterprise = EnterpriseCreate(
                    **{"sector": "textile", "country": country, **fields},
                    buyer_ids=[orgs[b] for b in profile.get("buyers", [])],
                )
                created_enterprise = await enterprise_service.create(
                    session, body_enterprise, principal=registrar
                )
                enterprises[profile["name"]] = created_enterprise.id
            staff = {
                short: Principal(
                    subject=f"{short.lower()}-demo",
                    role=Role.partner_staff,
                    organisation_id=orgs[short],
                )
                for short in ("EFP", "MDPI", "NPCC")
            }
            counts = {
                "organisations": len(orgs),
                "projects": len(projects),
                "enterprises": len(enterprises),
            }
            counts |= await _calls_and_journeys(session, projects, enterprises, orgs, staff)
            counts |= await _training(
                session, projects, enterprises, staff, store=make_store(storage), storage=storage
            )
            counts |= await _programme_events(session, projects, enterprises, staff)
            counts["training material versions"] = await load_materials(
                session, ilo=LOADER, store=make_store(storage), storage=storage
            )
            return counts
    finally:
        await database.dispose()


async def _calls_and_journeys(
    session: AsyncSession,
    projects: dict[str, UUID],
    enterprises: dict[str, UUID],
    orgs: dict[str, UUID],
    staff: dict[str, Principal],
) -> dict[str, int]:
    """The 2018 Pakistan call and a Ghana call, applications, shortlists, stages, consent."""
    now = datetime.now(UTC)
    pakistan_call = await call_service.create(
        session,
        CallCreate(
            project_id=projects["ILES Pakistan"],
            title="SCORE Training: Call for Expression of Interest (Pakistan 2018)",
            description="Garment and textile units in Karachi with 300+ workers.",
            deadline=now + timedelta(days=1),
            capacity=4,
            criteria=load_preset("pakistan_2018"),
        ),
        principal=staff["EFP"],
    )
    pakistan_names = [
        name for partner, _, p in ENTERPRISES if partner == "EFP" for name in [p["name"]]
    ]
    meetings = 0
    for name in pakistan_names:
        application = await application_service.create(
            session,
            pakistan_call.id,
            ApplicationCreate(
                enterprise_id=enterprises[name],
                answers=ApplicationAnswers.model_validate(ANSWERS.get(name, ALL_YES)),
            ),
            principal=staff["EFP"],
        )
        if name in MEETINGS:
            await meeting_service.create(
                session, application.id, MEETINGS[name], principal=staff["EFP"]
            )
            meetings += 1
    await call_service.shortlist(
        session, pakistan_call.id, ShortlistRequest(), principal=staff["EFP"]
    )

    ghana_call = await call_service.create(
        session,
        CallCreate(
            project_id=projects["SCORE Ghana Phase III"],
            title="SCORE Ghana Phase III: green and women-led enterprises",
            deadline=now + timedelta(days=90),
            capacity=2,
            criteria=GHANA_PRIORITIES,
            questions=GHANA_QUESTIONS,
        ),
        principal=staff["MDPI"],
    )
    for partner, _, profile in ENTERPRISES:
        if partner == "MDPI":
            green = GREEN_ANSWERS.get(profile["name"])
            await application_service.create(
                session,
                ghana_call.id,
                ApplicationCreate(
                    enterprise_id=enterprises[profile["name"]],
                    answers=ApplicationAnswers(
                        questions=None if green is None else {"green_practices": green}
                    ),
                ),
                principal=staff["MDPI"],
            )
    await call_service.shortlist(
        session, ghana_call.id, ShortlistRequest(), principal=staff["MDPI"]
    )

    transitions = 0
    for name, stages in JOURNEYS.items():
        enrolment = await lifecycle_service.ensure_enrolment(
            session,
            project_id=projects["ILES Pakistan"],
            enterprise_id=enterprises[name],
            principal=staff["EFP"],
        )
        for stage in stages:
            if stage in ASSESSMENTS:
                # Assessment stages are reached by recording the assessment itself.
                await assessment_service.create(
                    session, enrolment.id, ASSESSMENTS[stage], principal=staff["EFP"]
                )
                transitions += 1
                continue
            await lifecycle_service.transition(
                session,
                enrolment,
                stage,
                principal=staff["EFP"],
                reason="demo journey",
                consent_form_reference=(
                    f"consent-form/{name.split()[0].lower()}-2018.pdf"
                    if stage is S.consent_signed
                    else None
                ),
            )
            transitions += 1
    for name in ("Port Louis Garments", "Curepipe Hotel and Spa"):
        await lifecycle_service.ensure_enrolment(
            session,
            project_id=projects["SCORE Mauritius"],
            enterprise_id=enterprises[name],
            principal=staff["NPCC"],
            reason="recruited at the NPCC mobilisation event",
        )

    consents = [
        ("Indus Knitwear (Pvt) Ltd", "Inditex"),
        ("Korangi Apparel Industries", "Inditex"),
        ("Korangi Apparel Industries", "Adidas"),
        ("Crescent Denim Dyeing", "Adidas"),
    ]
    for name, buyer in consents:
        await consent_service.give(
            session,
            enterprises[name],
            ConsentGive(buyer_id=orgs[buyer], reason="signed at the consent form meeting"),
            principal=staff["EFP"],
        )
    # Korangi shares its orders from Inditex for the months ahead (seed 002: "share their
    # order status (confirmed and in pipeline) for the next 12 months").
    await order_service.put(
        session,
        enterprises["Korangi Apparel Industries"],
        orgs["Inditex"],
        OrderStatusPut(
            months=[
                MonthOrders(month=f"2019-{month:02d}", confirmed=confirmed, pipeline=pipeline)
                for month, confirmed, pipeline in (
                    (1, 42000, 0), (2, 38000, 6000), (3, 30000, 15000), (4, 12000, 28000)
                )
            ]
        ),
        principal=staff["EFP"],
    )  # fmt: skip
    # A withdrawn consent, so the history and the buyer's view show one.
    await consent_service.withdraw(
        session,
        enterprises["Crescent Denim Dyeing"],
        orgs["Adidas"],
        ConsentWithdraw(reason="the enterprise asked to stop sharing during the audit season"),
        principal=staff["EFP"],
    )

    # The 2018 call is history: once its applications are in, give it its real dates.
    await call_repository.backdate(
        session,
        pakistan_call.id,
        opens_on=date(2018, 7, 16),
        deadline=PAKISTAN_2018_DEADLINE,
        submitted_at=PAKISTAN_2018_DEADLINE - timedelta(days=10),
    )
    return {
        "calls": 2,
        "applications": len(pakistan_names) + 3,
        "commitment meetings": meetings,
        "stage transitions": transitions,
        "consents": len(consents),
    }


# (partner, name, sex, country, certification in Module 1 or None for a candidate)
TRAINERS: list[tuple[str, str, Sex, str, CertificationLevel]] = [
    ("EFP", "Ayesha Siddiqui", Sex.female, "PK", CertificationLevel.expert),
    ("EFP", "Farhan Qureshi", Sex.male, "PK", CertificationLevel.certified),
    ("EFP", "Sana Baig", Sex.female, "PK", CertificationLevel.candidate),
    ("MDPI", "Akosua Mensah", Sex.female, "GH", CertificationLevel.certified),
    ("MDPI", "Kwame Owusu", Sex.male, "GH", CertificationLevel.candidate),
    ("NPCC", "Priya Ramgoolam", Sex.female, "MU", CertificationLevel.certified),
]

KARACHI_BATCH = [
    "Indus Knitwear (Pvt) Ltd",
    "Korangi Apparel Industries",
    "Port Qasim Garments",
    "Crescent Denim Dyeing",
]
MODULE_1 = "workplace_cooperation"


async def _training(
    session: AsyncSession,
    projects: dict[str, UUID],
    enterprises: dict[str, UUID],
    staff: dict[str, Principal],
    *,
    store: FileStore,
    storage: StorageSettings,
) -> dict[str, int]:
    """Trainers, their certification evidence and certification, and the Karachi Module 1
    batch delivered in full."""
    trainers: dict[str, UUID] = {}
    evidence = 0
    for partner, name, sex, country, level in TRAINERS:
        trainer = await trainer_service.create(
            session, TrainerCreate(name=name, sex=sex, country=country), principal=staff[partner]
        )
        trainers[name] = trainer.id
        # Certification needs a passed quiz per session and the assignment; the candidate
        # has passed the first session's quiz so far.
        evidence += await load_evidence(
            session,
            trainer.id,
            MODULE_1,
            trainer_name=name,
            tot_on=date(2017, 3, 10),
            sessions_passed=1 if level is CertificationLevel.candidate else None,
            store=store,
            storage=storage,
            principal=staff[partner],
        )
        steps = {
            CertificationLevel.candidate: [CertificationLevel.candidate],
            CertificationLevel.certified: [CertificationLevel.certified],
            CertificationLevel.expert: [CertificationLevel.certified, CertificationLevel.expert],
        }[level]
        for step in steps:
            await trainer_service.certify(
                session,
                trainer.id,
                MODULE_1,
                CertificationPut(
                    level=step,
                    tot_completed_on=date(2017, 3, 10) if step != "candidate" else None,
                    toe_completed_on=date(2017, 11, 20) if step != "candidate" else None,
                ),
                principal=staff[partner],
            )

    efp = staff["EFP"]
    # Crescent Denim Dyeing had not signed its consent form when the batch started: the ILO
    # let it join (an audited override of the stage rule), as the cohort shows.
    cohort = await cohort_service.create(
        session,
        CohortCreate(
            project_id=projects["ILES Pakistan"],
            partner_id=efp.organisation_id,
            module_code=MODULE_1,
            name="Karachi batch 1: Workplace Cooperation",
            start_date=date(2018, 10, 2),
            end_date=date(2019, 2, 15),
            trainer_ids=[trainers["Ayesha Siddiqui"], trainers["Farhan Qureshi"]],
            lead_trainer_id=trainers["Ayesha Siddiqui"],
            enterprise_ids=[enterprises[name] for name in KARACHI_BATCH],
            override_reason=(
                "Crescent Denim Dyeing signs its consent form in the first week of the batch; "
                "it joins the classroom days meanwhile"
            ),
        ),
        principal=LOADER,
        recommended_max=EnrolmentSettings().cohort_recommended_max,
    )
    participants: list[UUID] = []
    for index, name in enumerate(KARACHI_BATCH):
        # Two managers and two workers each; mixed sexes as SCORE asks of enterprises.
        people = [
            (ParticipantRole.manager, Sex.male, "Production Manager"),
            (ParticipantRole.manager, Sex.female, "HR Manager"),
            (ParticipantRole.worker, Sex.female, "Sewing Operator"),
            (ParticipantRole.worker, Sex.male if index % 2 else Sex.female, "Line Supervisor"),
        ]
        for number, (role, sex, title) in enumerate(people, start=1):
            participant = await participant_service.create(
                session,
                cohort.id,
                ParticipantCreate(
                    enterprise_id=enterprises[name],
                    name=f"{name.split()[0]} participant {number}",
                    role=role,
                    sex=sex,
                    position_title=title,
                ),
                principal=efp,
            )
            participants.append(participant.id)
    # The Pakistan short course has three classroom days.
    for day in (1, 2, 3):
        classroom = await classroom_service.create(
            session,
            cohort.id,
            ClassroomSessionCreate(
                day_number=day,
                held_on=date(2018, 10, 1 + day),
                topic=["Workplace cooperation", "Suggestion schemes", "5S and EITs"][day - 1],
            ),
            principal=efp,
        )
        await classroom_service.record_attendance(
            session,
            classroom.id,
            [
                AttendanceMark(participant_id=p, present=not (day == 3 and i % 7 == 0))
                for i, p in enumerate(participants)
            ],
            principal=efp,
        )
    for index, name in enumerate(KARACHI_BATCH):
        await visit_service.create(
            session,
            cohort.id,
            ConsultingVisitCreate(
                enterprise_id=enterprises[name],
                trainer_id=trainers["Ayesha Siddiqui" if index % 2 else "Farhan Qureshi"],
                visited_on=date(2018, 11, 5 + index),
                delivery_mode=DeliveryMode.on_site if index < 3 else DeliveryMode.virtual,
                duration_hours=4,
                notes="EIT formed; 5S started in the cutting section",
            ),
            principal=efp,
        )
    progress = {
        "Korangi Apparel Industries": ("completed", date(2019, 2, 15)),
        "Port Qasim Garments": ("completed", date(2019, 2, 15)),
        "Indus Knitwear (Pvt) Ltd": ("classroom_completed", None),
    }
    for name, (status, completed_on) in progress.items():
        await progress_service.update(
            session,
            cohort.id,
            enterprises[name],
            ProgressUpdate.model_validate({"status": status, "completed_on": completed_on}),
            principal=efp,
        )
    return {
        "trainers": len(trainers),
        "trainer quizzes and assignments": evidence,
        "cohorts": 1,
        "participants": len(participants),
    }


# The programme events of seeds 000 and 001: the second SCORE Alumni Network meeting (held
# online on 3 June 2021) and the Karachi mobilisation event for the next batch (21 September
# 2021), where alumni shared their experience with newly invited factories.
# (event, [(enterprise, person, role, sex)], enterprises invited by name)
_M, _W = ParticipantRole.manager, ParticipantRole.worker
PROGRAMME_EVENTS: list[
    tuple[dict[str, Any], list[tuple[str, str, ParticipantRole, Sex]], list[str]]
]
PROGRAMME_EVENTS = [
    (
        {
            "kind": EventKind.alumni_meeting,
            "title": "Second SCORE Alumni Network meeting",
            "held_on": date(2021, 6, 3),
            "online": True,
            "organiser": "ILO Pakistan (ILES project)",
            "notes": "Progress since SCORE, COVID-19 adaptations; ILO's FIT presented",
        },
        [
            ("Port Qasim Garments", "Mustafa Hussain", _M, Sex.male),
            ("Port Qasim Garments", "Rabia Anwar", _M, Sex.female),
            ("Port Qasim Garments", "Zara Line Lead", _W, Sex.not_disclosed),
        ],
        ["Port Qasim Garments"],
    ),
    (
        {
            "kind": EventKind.mobilisation,
            "title": "Mobilisation event for the next SCORE batch",
            "held_on": date(2021, 9, 21),
            "venue": "Karachi",
            "organiser": "ILO Pakistan (ILES project) with EFP",
            "notes": "Two SCORE alumni shared their experience with the newly identified factories",
        },
        [
            ("Port Qasim Garments", "Mustafa Hussain", _M, Sex.male),
            ("Korangi Apparel Industries", "Nadia Karim", _M, Sex.female),
            ("Hub Textile Processing", "Imran Sheikh", _M, Sex.male),
            ("Hub Textile Processing", "Sana Malik", _W, Sex.female),
            ("Faisalabad Fabrics", "Ali Raza", _M, Sex.male),
            ("Faisalabad Fabrics", "Sam Rizvi", _W, Sex.other),
        ],
        ["Hub Textile Processing", "Faisalabad Fabrics", "Port Qasim Garments"],
    ),
]


async def _programme_events(
    session: AsyncSession,
    projects: dict[str, UUID],
    enterprises: dict[str, UUID],
    staff: dict[str, Principal],
) -> dict[str, int]:
    """The Pakistan project's alumni meeting and mobilisation event, with who came."""
    efp = staff["EFP"]
    attendees = 0
    for template, people, invited in PROGRAMME_EVENTS:
        body = EventCreate.model_validate({**template, "project_id": projects["ILES Pakistan"]})
        event = await programme_event_service.create(session, body, principal=efp)
        for name in invited:
            await programme_event_service.invite(
                session,
                event.id,
                enterprises[name],
                InvitationPut(people=[p for e, p, _, _ in people if e == name]),
                principal=efp,
            )
        sheet = AttendanceSheet(
            attendees=[
                AttendeeIn(enterprise_id=enterprises[e], name=person, role=role, sex=sex)
                for e, person, role, sex in people
            ]
        )
        attendees += (
            await programme_event_service.record_attendance(session, event.id, sheet, principal=efp)
        ).attendees
    return {"programme events": len(PROGRAMME_EVENTS), "event attendees": attendees}
