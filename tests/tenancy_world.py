"""The world the tenancy matrix probes: two tenants (EFP in Pakistan, MDPI in Ghana) with
one object of every kind each, and an enterprise of EFP's enrolled in both projects and
trained in MDPI's cohort. Built once, through the services' own APIs, as their users do.

Every object lists who may read it (``readers``): the matrix holds the services to that
declaration, and the README's roles section states the same rules.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.standard import ensure_standard_modules
from services.reporting.webhooks.models import WebhookDelivery
from services.reporting.webhooks.repository import webhook_repository
from shared.columns import utcnow
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.assessments_support import assessment_body
from tests.enrolment.calls_support import DECLARED, pakistan_criteria
from tests.enrolment.support import ILO, Api, garment_factory, unique
from tests.enrolment.training_support import record_evidence
from tests.indicators.fixtures import enrol_for_measurement, sync_replica
from tests.indicators.values_support import make_indicator
from tests.reporting.fixtures import sync_reporting

# Who probes: one principal per role and tenant.
PRINCIPALS = (
    "ilo",
    "pm_pk",
    "pm_gh",
    "efp",
    "mdpi",
    "inditex",
    "adidas",
    "user_pk",
    "user_gh",
    "trainer_pk",
    "trainer_gh",
)
EVERYONE = frozenset(PRINCIPALS)
PK_SIDE = frozenset({"ilo", "pm_pk", "efp", "user_pk", "trainer_pk"})
GH_SIDE = frozenset({"ilo", "pm_gh", "mdpi", "user_gh", "trainer_gh"})
# Kinds whose ids are public programme facts (directory, catalogue, calls): never secrets.
# A photo small enough to send in every world: one white pixel.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8ffff3f0005fe02fea7d6a4d20000000049454e44ae426082"
)
PUBLIC_KINDS = frozenset({"project", "call", "partner", "indicator"})


@dataclass(frozen=True)
class Obj:
    """One object of the world: its ids by the names routes use, and who may read it."""

    name: str
    kind: str
    ids: Mapping[str, str]
    readers: frozenset[str]
    # Ids of public things (a buyer's organisation id, a module code) kept as they are when
    # the object is replaced by a random one.
    fixed: Mapping[str, str] = field(default_factory=dict)
    # Projects and calls: who has a role in them, so may write their records.
    writers: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return next(iter(self.ids.values()))

    def values(self) -> dict[str, str]:
        return {**self.fixed, **self.ids}


@dataclass
class TenancyWorld:
    principals: dict[str, Principal]
    objects: list[Obj]
    # Values requests may name besides an object's own (a call to apply to, a buyer ...).
    extras: dict[str, str]
    # The world does not change once built: what each principal sees is worked out once
    # (every probe asks, thousands of times per part).
    _secrets: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    _seen: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def of_kind(self, kind: str) -> list[Obj]:
        return [obj for obj in self.objects if obj.kind == kind]

    def secrets(self, principal: str) -> Mapping[str, str]:
        """Ids that must never reach ``principal`` (id -> what it is): those of objects it
        may not read, unless the same id is also one of an object it may (a buyer's)."""
        if principal not in self._secrets:
            seen = self.seen_by(principal)
            self._secrets[principal] = {
                obj.id: obj.name
                for obj in self.objects
                if principal not in obj.readers
                and obj.kind not in PUBLIC_KINDS
                and obj.id not in seen
            }
        return self._secrets[principal]

    def seen_by(self, principal: str) -> frozenset[str]:
        """The ids of the objects ``principal`` may read."""
        if principal not in self._seen:
            self._seen[principal] = frozenset(
                obj.id for obj in self.objects if principal in obj.readers
            )
        return self._seen[principal]

    def get(self, name: str) -> Obj:
        return next(obj for obj in self.objects if obj.name == name)


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


@dataclass
class Apps:
    enrolment: Api
    indicators: Api
    reporting: Api


async def build_world(
    apps: Apps,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
    reporting_session: AsyncSession,
) -> TenancyWorld:
    api, ind, rep = apps.enrolment, apps.indicators, apps.reporting
    await ensure_standard_modules(enrolment_session)
    await enrolment_session.commit()

    async def organisation(name: str, kind: str, country: str) -> str:
        body = {"name": unique(name), "kind": kind, "country": country}
        return str((await api.created("/organisations", body))["id"])

    efp = await organisation("Employers' Federation of Pakistan", "implementation_partner", "PK")
    mdpi = await organisation("MDPI Ghana", "implementation_partner", "GH")
    inditex = await organisation("Inditex", "lead_buyer", "ES")
    adidas = await organisation("Adidas", "lead_buyer", "DE")
    seco = await organisation("SECO", "funder", "CH")
    pk = (
        await api.created(
            "/projects",
            {"name": "ILES Pakistan", "country": "PK", "partner_ids": [efp], "funder_ids": [seco]},
        )
    )["id"]
    gh = (
        await api.created(
            "/projects", {"name": "SCORE Ghana", "country": "GH", "partner_ids": [mdpi]}
        )
    )["id"]
    efp_staff = Principal(subject="efp", role=Role.partner_staff, organisation_id=UUID(efp))
    mdpi_staff = Principal(subject="mdpi", role=Role.partner_staff, organisation_id=UUID(mdpi))

    # Enterprises: one per tenant, and EFP's shared one enrolled in both projects.
    async def enrolled(staff: Principal, project: str, **profile: Any) -> str:
        enterprise = await enrol_for_measurement(
            api, enrolment_session, as_=staff, project_id=UUID(project), **profile
        )
        return str(enterprise)

    e_pk = await enrolled(efp_staff, pk, buyer_ids=[inditex], registration_number="KHI-77")
    e_gh = await enrolled(mdpi_staff, gh, country="GH", buyer_ids=[adidas])
    e_sh = await enrolled(efp_staff, pk, buyer_ids=[inditex, adidas])
    await _ok(await api.post("/enrolments", json={"project_id": gh, "enterprise_id": e_sh}))
    # MDPI registers an enterprise under the name of EFP's: a likely duplicate it may not
    # trace to EFP's enterprise.
    e_pk_name = (await _ok(await api.get(f"/enterprises/{e_pk}")))["name"]
    e_dup = (await api.created("/enterprises", garment_factory(name=e_pk_name), as_=mdpi_staff))[
        "id"
    ]
    enrolments = {
        (row["enterprise_id"], row["project_id"]): row["id"]
        for row in (await _ok(await api.get("/enrolments?limit=500")))["items"]
    }

    principals = {
        "ilo": ILO,
        "pm_pk": Principal(subject="pm-pk", role=Role.programme_manager, project_id=UUID(pk)),
        "pm_gh": Principal(subject="pm-gh", role=Role.programme_manager, project_id=UUID(gh)),
        "efp": efp_staff,
        "mdpi": mdpi_staff,
        "inditex": Principal(
            subject="inditex", role=Role.lead_buyer, organisation_id=UUID(inditex)
        ),
        "adidas": Principal(subject="adidas", role=Role.lead_buyer, organisation_id=UUID(adidas)),
        "user_pk": Principal(
            subject="user-pk", role=Role.enterprise_user, enterprise_id=UUID(e_pk)
        ),
        "user_gh": Principal(
            subject="user-gh", role=Role.enterprise_user, enterprise_id=UUID(e_gh)
        ),
    }

    # Consent: each supplier shares with its buyers (the shared one with both).
    consents: dict[tuple[str, str], str] = {}
    for enterprise, buyers in ((e_pk, [inditex]), (e_gh, [adidas]), (e_sh, [inditex, adidas])):
        for buyer in buyers:
            given = await _ok(
                await api.post(f"/enterprises/{enterprise}/consents", json={"buyer_id": buyer})
            )
            consents[(enterprise, buyer)] = str(given["id"])

    # Trainers, cohorts and delivery.
    assignments: dict[str, str] = {}

    async def trainer(staff: Principal, country: str) -> str:
        body = {"name": unique("Trainer"), "sex": "female", "country": country}
        made = await api.created("/trainers", body, as_=staff)
        assignment = await record_evidence(api, made["id"], as_=staff)
        assert assignment is not None
        assignments[str(made["id"])] = assignment
        await _ok(
            await api.put(
                f"/trainers/{made['id']}/certifications/workplace_cooperation",
                json={
                    "level": "certified",
                    "tot_completed_on": "2018-03-10",
                    "toe_completed_on": "2018-09-20",
                },
                as_=staff,
            )
        )
        return str(made["id"])

    t_pk = await trainer(efp_staff, "PK")
    t_gh = await trainer(mdpi_staff, "GH")
    principals["trainer_pk"] = Principal(subject="t-pk", role=Role.trainer, trainer_id=UUID(t_pk))
    principals["trainer_gh"] = Principal(subject="t-gh", role=Role.trainer, trainer_id=UUID(t_gh))

    async def cohort(project: str, partner: str, members: list[str], coach: str) -> str:
        body = {
            "project_id": project,
            "partner_id": partner,
            "module_code": "workplace_cooperation",
            "name": unique("Batch"),
            "start_date": "2019-02-04",
            "end_date": "2019-05-31",
            "trainer_ids": [coach],
            "enterprise_ids": members,
            # EFP's shared enterprise only expressed interest in the Ghana project.
            "override_reason": "Trains with MDPI's batch while its Ghana enrolment is screened",
        }
        return str((await api.created("/cohorts", body))["id"])

    c_pk = await cohort(pk, efp, [e_pk], t_pk)
    c_gh = await cohort(gh, mdpi, [e_gh, e_sh], t_gh)

    async def participant(cohort_id: str, enterprise: str) -> str:
        body = {"enterprise_id": enterprise, "name": "Nadia", "role": "manager", "sex": "female"}
        return str((await api.created(f"/cohorts/{cohort_id}/participants", body))["id"])

    p_pk, p_gh = await participant(c_pk, e_pk), await participant(c_gh, e_gh)
    p_sh = await participant(c_gh, e_sh)
    sessions = {}
    for cohort_id in (c_pk, c_gh):
        day = {"day_number": 1, "held_on": "2019-02-04"}
        sessions[cohort_id] = str((await api.created(f"/cohorts/{cohort_id}/sessions", day))["id"])
    s_pk, s_gh = sessions[c_pk], sessions[c_gh]
    visits = {}
    for cohort_id, enterprise, coach in ((c_pk, e_pk, t_pk), (c_gh, e_gh, t_gh)):
        visit = {
            "enterprise_id": enterprise,
            "trainer_id": coach,
            "visited_on": "2019-03-12",
            "delivery_mode": "on_site",
        }
        visits[cohort_id] = str((await api.created(f"/cohorts/{cohort_id}/visits", visit))["id"])
    for cohort_id, enterprise in ((c_pk, e_pk), (c_gh, e_gh), (c_gh, e_sh)):
        await _ok(
            await api.put(
                f"/cohorts/{cohort_id}/progress/{enterprise}",
                json={"status": "completed", "completed_on": "2019-05-30"},
            )
        )

    # Calls and applications (an applicant of each partner's).
    calls: dict[str, str] = {}
    applications: dict[str, str] = {}
    applicants: dict[str, str] = {}
    for project, staff, country in ((pk, efp_staff, "PK"), (gh, mdpi_staff, "GH")):
        call = await api.created(
            "/calls",
            {
                "project_id": project,
                "title": unique("Call for expression of interest"),
                "deadline": "2099-01-01T00:00:00Z",
                "capacity": 20,
                "criteria": pakistan_criteria(),
            },
        )
        applicant = (
            await api.created("/enterprises", garment_factory(country=country), as_=staff)
        )["id"]
        applied = await api.created(
            f"/calls/{call['id']}/applications",
            {"enterprise_id": applicant, "answers": DECLARED},
            as_=staff,
        )
        calls[project], applications[project], applicants[project] = (
            str(call["id"]),
            str(applied["id"]),
            str(applicant),
        )

    # Indicators: the replica, a round per project, a value per tenant, the EIT, an
    # improvement project and a rating.
    await sync_replica(api, indicators_session)
    indicator = await make_indicator(indicators_session, kind="count")
    await indicators_session.commit()
    rounds = {}
    for project in (pk, gh):
        body = {
            "project_id": project,
            "kind": "baseline",
            "sequence": 1,
            "name": "Baseline",
            "starts_on": "2018-09-01",
            "ends_on": "2018-09-30",
        }
        rounds[project] = str((await ind.created("/rounds", body))["id"])
    values, members, improvement, ratings, suggestions = {}, {}, {}, {}, {}
    plans: dict[str, tuple[str, str]] = {}
    business_cases: dict[str, tuple[str, str]] = {}
    for enterprise, project, staff, cohort_id, person in (
        (e_pk, pk, efp_staff, c_pk, p_pk),
        (e_gh, gh, mdpi_staff, c_gh, p_gh),
    ):
        batch = await _ok(
            await ind.post(
                "/values/batches",
                json={
                    "values": [
                        {
                            "enterprise_id": enterprise,
                            "indicator_code": indicator.code,
                            "round_id": rounds[project],
                            "value": 12,
                        }
                    ]
                },
                as_=staff,
            )
        )
        values[enterprise] = str(batch["results"][0]["value_id"])
        await _ok(
            await ind.put(
                f"/enterprises/{enterprise}/eit", json={"formed_on": "2019-03-01"}, as_=staff
            )
        )
        member = await ind.created(
            f"/enterprises/{enterprise}/eit/members",
            {"name": "Imran", "role": "worker", "sex": "male"},
            as_=staff,
        )
        members[enterprise] = str(member["id"])
        await ind.created(
            f"/enterprises/{enterprise}/eit/meetings",
            {"held_on": "2019-03-15", "attendees_female": 1, "attendees_male": 1},
            as_=staff,
        )
        made = await ind.created(
            f"/enterprises/{enterprise}/improvement-projects",
            {"module_code": "workplace_cooperation", "title": "5S", "category": "five_s"},
            as_=staff,
        )
        improvement[enterprise] = str(made["id"])
        suggestion = await ind.created(
            f"/enterprises/{enterprise}/suggestions",
            {"submitted_on": "2019-03-20", "title": "Bins", "role": "worker", "sex": "female"},
            as_=staff,
        )
        suggestions[enterprise] = str(suggestion["id"])
        case = await ind.created(
            f"/enterprises/{enterprise}/business-cases",
            {
                "improvement_project_id": improvement[enterprise],
                "title": "Bins",
                "problem": "Offcuts",
                "action_taken": "5S",
                "result": "Clear aisles",
            },
            as_=staff,
        )
        photo = await _ok(
            await ind.post(
                f"/business-cases/{case['id']}/photos",
                data={"stage": "before", "caption": "Before 5S"},
                files={"photo": ("before.png", TINY_PNG, "image/png")},
                as_=staff,
            )
        )
        business_cases[enterprise] = (str(case["id"]), str(photo["id"]))
        made_plan = await ind.created(
            f"/enterprises/{enterprise}/improvement-plans",
            {
                "module_code": "workplace_cooperation",
                "title": "Plan",
                "agreed_on": "2019-03-20",
                "actions": [
                    {"objective": "Tidy", "action": "5S", "owner": "EIT", "due_on": "2019-05-01"}
                ],
            },
            as_=staff,
        )
        plans[enterprise] = (str(made_plan["id"]), str(made_plan["actions"][0]["id"]))
        rating = await ind.created(
            "/satisfaction-responses",
            {
                "enterprise_id": enterprise,
                "cohort_id": cohort_id,
                "participant_id": person,
                "module_code": "workplace_cooperation",
                "role": "manager",
                "sex": "female",
                "rating": 5,
            },
            as_=staff,
        )
        ratings[enterprise] = str(rating["id"])

    # Reporting: read models from both feeds, then a target and a cost entry per project.
    await sync_reporting(api, ind, reporting_session)
    targets, costs = {}, {}
    for project in (pk, gh):
        targets[project] = str(
            (
                await rep.created(
                    "/targets",
                    {
                        "project_id": project,
                        "metric": "enterprises_trained",
                        "period_start": "2024-01-01",
                        "period_end": "2024-12-31",
                        "target_value": "40",
                    },
                )
            )["id"]
        )
        costs[project] = str(
            (
                await rep.created(
                    "/costs",
                    {
                        "project_id": project,
                        "period_start": "2024-03-01",
                        "period_end": "2024-03-31",
                        "currency": "PKR" if project == pk else "GHS",
                        "total_cost": "1000",
                        "non_ilo_contribution": "450",
                    },
                )
            )["id"]
        )

    # Webhook endpoints: a partner's and a buyer's, each its own tenancy's only.
    webhooks = {
        owner: str(
            (
                await rep.created(
                    "/webhooks", {"url": "http://receiver.test/hook"}, as_=principals[owner]
                )
            )["id"]
        )
        for owner in ("efp", "inditex")
    }
    # A delivery each in their logs (as the worker records one it made): one to redeliver.
    deliveries = {
        owner: await _delivered(reporting_session, hook) for owner, hook in webhooks.items()
    }

    def side(project: str) -> frozenset[str]:
        return PK_SIDE if project == pk else GH_SIDE

    def roles(project: str) -> frozenset[str]:
        """Who has a role in the project: the ILO, its manager, its partner's staff."""
        return frozenset({"ilo", "pm_pk", "efp"} if project == pk else {"ilo", "pm_gh", "mdpi"})

    sh_readers = frozenset({"ilo", "pm_pk", "pm_gh", "efp", "inditex", "adidas", "trainer_gh"})
    readers_of = {
        e_pk: PK_SIDE | {"inditex"},
        e_gh: GH_SIDE | {"adidas"},
        e_sh: sh_readers,
    }
    no_buyers = {e: r - {"inditex", "adidas"} for e, r in readers_of.items()}
    objects: list[Obj] = [
        Obj("partner EFP", "partner", {"partner_id": efp}, frozenset({"ilo", "pm_pk", "efp"})),
        Obj("partner MDPI", "partner", {"partner_id": mdpi}, frozenset({"ilo", "pm_gh", "mdpi"})),
        Obj(
            "project Pakistan",
            "project",
            {"project_id": pk},
            side(pk),
            fixed={"partner_id": efp},
            writers=roles(pk),
        ),
        Obj(
            "project Ghana",
            "project",
            {"project_id": gh},
            side(gh),
            fixed={"partner_id": mdpi},
            writers=roles(gh),
        ),
        Obj("enterprise of EFP", "enterprise", {"enterprise_id": e_pk}, readers_of[e_pk]),
        Obj("enterprise of MDPI", "enterprise", {"enterprise_id": e_gh}, readers_of[e_gh]),
        Obj("EFP's enterprise in both projects", "enterprise", {"enterprise_id": e_sh}, sh_readers),
        Obj(
            "MDPI's likely duplicate of EFP's enterprise",
            "enterprise",
            {"enterprise_id": e_dup},
            frozenset({"ilo", "mdpi"}),
        ),
        Obj(
            "trainer of EFP",
            "trainer",
            {"trainer_id": t_pk, "assignment_id": assignments[t_pk]},
            frozenset({"ilo", "pm_pk", "efp", "trainer_pk", "user_pk"}),
        ),
        Obj(
            "trainer of MDPI",
            "trainer",
            {"trainer_id": t_gh, "assignment_id": assignments[t_gh]},
            frozenset({"ilo", "pm_gh", "mdpi", "trainer_gh", "user_gh"}),
        ),
        Obj("cohort of EFP", "cohort", {"cohort_id": c_pk}, side(pk)),
        Obj("cohort of MDPI", "cohort", {"cohort_id": c_gh}, side(gh)),
        Obj("round of Pakistan", "round", {"round_id": rounds[pk], "project_id": pk}, side(pk)),
        Obj("round of Ghana", "round", {"round_id": rounds[gh], "project_id": gh}, side(gh)),
        Obj(
            "target of Pakistan",
            "target",
            {"target_id": targets[pk], "project_id": pk},
            frozenset({"ilo", "pm_pk", "efp"}),
        ),
        Obj(
            "target of Ghana",
            "target",
            {"target_id": targets[gh], "project_id": gh},
            frozenset({"ilo", "pm_gh", "mdpi"}),
        ),
        Obj(
            "cost entry of Pakistan",
            "cost",
            {"cost_id": costs[pk], "project_id": pk},
            frozenset({"ilo", "pm_pk", "efp"}),
        ),
        Obj(
            "cost entry of Ghana",
            "cost",
            {"cost_id": costs[gh], "project_id": gh},
            frozenset({"ilo", "pm_gh", "mdpi"}),
        ),
        Obj("call of Pakistan", "call", {"call_id": calls[pk]}, EVERYONE, writers=roles(pk)),
        Obj("call of Ghana", "call", {"call_id": calls[gh]}, EVERYONE, writers=roles(gh)),
        Obj(
            "webhook of EFP",
            "webhook",
            {"webhook_id": webhooks["efp"], "delivery_id": deliveries["efp"]},
            frozenset({"ilo", "efp"}),
        ),
        Obj(
            "webhook of Inditex",
            "webhook",
            {"webhook_id": webhooks["inditex"], "delivery_id": deliveries["inditex"]},
            frozenset({"ilo", "inditex"}),
        ),
        Obj("buyer Inditex", "buyer", {"buyer_id": inditex}, EVERYONE - {"adidas"}),
        Obj("buyer Adidas", "buyer", {"buyer_id": adidas}, EVERYONE - {"inditex"}),
    ]
    for project in (pk, gh):
        applicant = applicants[project]
        owner = "efp" if project == pk else "mdpi"
        manager = "pm_pk" if project == pk else "pm_gh"
        objects += [
            Obj(
                f"applicant to the call of {'Pakistan' if project == pk else 'Ghana'}",
                "enterprise",
                {"enterprise_id": applicant},
                frozenset({"ilo", owner, manager}),
            ),
            Obj(
                f"application to the call of {'Pakistan' if project == pk else 'Ghana'}",
                "application",
                {"application_id": applications[project], "call_id": calls[project]},
                frozenset({"ilo", owner, manager}),
            ),
        ]
    for (enterprise, project), enrolment in enrolments.items():
        if enterprise not in readers_of:
            continue  # applicants' enrolments: covered by their applications
        readers = readers_of[enterprise]
        if enterprise == e_sh:
            manager = "pm_pk" if project == pk else "pm_gh"
            readers = readers - ({"pm_pk", "pm_gh"} - {manager})
        objects.append(
            Obj(
                f"enrolment of {enterprise[:8]} in {'Pakistan' if project == pk else 'Ghana'}",
                "enrolment",
                {"enrolment_id": enrolment, "enterprise_id": enterprise},
                readers,
            )
        )
    # An assessment of each tenant's enrolment (they stand past the baseline: kept as is).
    for enterprise, project in ((e_pk, pk), (e_gh, gh)):
        enrolment = enrolments[(enterprise, project)]
        made = await api.created(
            f"/enrolments/{enrolment}/assessments", assessment_body("baseline")
        )
        objects.append(
            Obj(
                f"assessment of {enterprise[:8]}",
                "assessment",
                {
                    "assessment_id": str(made["id"]),
                    "enrolment_id": enrolment,
                    "enterprise_id": enterprise,
                },
                no_buyers[enterprise],
            )
        )
    # A programme event per project, with one person of the tenant's enterprise attending.
    for enterprise, project in ((e_pk, pk), (e_gh, gh)):
        event = await api.created(
            "/programme-events",
            {
                "project_id": project,
                "kind": "mobilisation",
                "title": "Mobilisation event",
                "held_on": "2019-01-15",
                "venue": "Chamber of commerce",
                "organiser": "ILO",
            },
        )
        await _ok(
            await api.put(
                f"/programme-events/{event['id']}/attendance",
                json={
                    "attendees": [
                        {
                            "enterprise_id": enterprise,
                            "name": "Nadia",
                            "role": "manager",
                            "sex": "female",
                        }
                    ]
                },
            )
        )
        objects.append(
            Obj(
                f"programme event of {'Pakistan' if project == pk else 'Ghana'}",
                "programme_event",
                {"event_id": str(event["id"]), "enterprise_id": enterprise},
                side(project),
            )
        )
    for enterprise, buyer in ((e_pk, inditex), (e_gh, adidas), (e_sh, inditex), (e_sh, adidas)):
        readers = readers_of[enterprise] - ({"inditex", "adidas"} - {_buyer_name(buyer, inditex)})
        objects.append(
            Obj(
                f"consent of {enterprise[:8]} to {_buyer_name(buyer, inditex)}",
                "consent",
                {
                    "consent_id": consents[(enterprise, buyer)],
                    "buyer_id": buyer,
                    "enterprise_id": enterprise,
                },
                readers,
            )
        )
    for enterprise, cohort_id, person, session_id, project in (
        (e_pk, c_pk, p_pk, s_pk, pk),
        (e_gh, c_gh, p_gh, s_gh, gh),
    ):
        label = "EFP" if project == pk else "MDPI"
        readers = no_buyers[enterprise]
        objects += [
            Obj(
                f"participant of {label}'s cohort",
                "participant",
                {"participant_id": person, "cohort_id": cohort_id, "enterprise_id": enterprise},
                readers,
            ),
            Obj(
                f"session of {label}'s cohort",
                "session",
                {"session_id": session_id, "cohort_id": cohort_id},
                side(project),
            ),
            Obj(
                f"visit of {label}'s cohort",
                "visit",
                {
                    "visit_id": visits[cohort_id],
                    "cohort_id": cohort_id,
                    "enterprise_id": enterprise,
                },
                readers,
            ),
            Obj(
                f"membership in {label}'s cohort",
                "membership",
                {"cohort_id": cohort_id, "enterprise_id": enterprise},
                readers,
            ),
            Obj(
                f"value of {label}'s enterprise",
                "value",
                {
                    "value_id": values[enterprise],
                    "enterprise_id": enterprise,
                    "round_id": rounds[project],
                },
                readers,
            ),
            Obj(
                f"EIT member of {label}'s enterprise",
                "eit_member",
                {"member_id": members[enterprise], "enterprise_id": enterprise},
                readers,
            ),
            Obj(
                f"improvement project of {label}'s enterprise",
                "improvement_project",
                {"improvement_project_id": improvement[enterprise], "enterprise_id": enterprise},
                readers,
            ),
            Obj(
                f"improvement plan of {label}'s enterprise",
                "improvement_plan",
                {
                    "plan_id": plans[enterprise][0],
                    "action_id": plans[enterprise][1],
                    "enterprise_id": enterprise,
                },
                readers,
            ),
            Obj(
                f"suggestion of {label}'s enterprise",
                "suggestion",
                {"suggestion_id": suggestions[enterprise], "enterprise_id": enterprise},
                readers,
            ),
            # Shared with a consenting buyer (the enterprise's readers include it).
            Obj(
                f"business case of {label}'s enterprise",
                "business_case",
                {
                    "case_id": business_cases[enterprise][0],
                    "photo_id": business_cases[enterprise][1],
                    "enterprise_id": enterprise,
                },
                readers_of[enterprise],
            ),
            Obj(
                f"rating in {label}'s cohort",
                "rating",
                {
                    "rating_id": ratings[enterprise],
                    "enterprise_id": enterprise,
                    "cohort_id": cohort_id,
                },
                readers,
            ),
        ]
    objects.append(
        Obj(
            "participant of EFP's shared enterprise",
            "participant",
            {"participant_id": p_sh, "cohort_id": c_gh, "enterprise_id": e_sh},
            sh_readers - {"inditex", "adidas"},
        )
    )
    objects.append(Obj("indicator", "indicator", {"indicator_code": indicator.code}, EVERYONE))
    extras = {
        "call_pk": calls[pk],
        "project_pk": pk,
        "indicator_code": indicator.code,
        "buyer_inditex": inditex,
    }
    return TenancyWorld(principals=principals, objects=objects, extras=extras)


async def _delivered(session: AsyncSession, webhook_id: str) -> str:
    """A delivered event in the endpoint's log, as the worker leaves it."""
    delivery = WebhookDelivery(
        endpoint_id=UUID(webhook_id),
        event_position=await webhook_repository.feed_head(session),
        event_id=uuid4(),
        event_type="enterprise.updated",
        status="delivered",
        attempts=1,
        last_status_code=204,
        delivered_at=utcnow(),
    )
    session.add(delivery)
    await session.commit()
    return str(delivery.id)


def _buyer_name(buyer: str, inditex: str) -> str:
    return "inditex" if buyer == inditex else "adidas"


def names(objects: Iterable[Obj]) -> list[str]:
    return [obj.name for obj in objects]
