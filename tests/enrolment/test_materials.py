"""The training materials library: per module and language, a new upload makes a new
version and every older one stays downloadable; the ILO publishes, anyone reads; bad files
are refused by their bytes and leave nothing behind."""

import hashlib
from pathlib import Path
from uuid import UUID, uuid4

import httpx
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import plumbing
from services.enrolment.materials.models import TrainingMaterial, TrainingMaterialVersion
from services.enrolment.materials.service import FILE_NAMESPACE
from shared.identity import Principal
from shared.storage import StorageSettings
from tests.enrolment.calls_support import count_rows
from tests.enrolment.support import ILO, Api, World, graph_data
from tests.shared.test_file_storage import PDF_BYTES, png_bomb

MODULE = "workplace_cooperation"


def stored_files() -> set[Path]:
    folder = StorageSettings().local_path / FILE_NAMESPACE
    return {path for path in folder.rglob("*") if path.is_file()} if folder.exists() else set()


async def upload(
    api: Api,
    material_id: str,
    content: bytes,
    name: str,
    *,
    note: str | None = None,
    as_: Principal = ILO,
) -> httpx.Response:
    return await api.post(
        f"/materials/{material_id}/versions",
        files={"file": (name, content, "application/pdf")},
        data={"note": note} if note else None,
        as_=as_,
    )


async def new_material(api: Api, language: str = "ur") -> str:
    made = await api.post(
        f"/modules/{MODULE}/materials",
        json={"language": language, "title": f"Trainer's guide {uuid4().hex[:6]}"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def test_a_new_upload_is_a_new_version_and_the_old_one_stays_downloadable(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    material = await new_material(api, "ur")
    first = await upload(api, material, PDF_BYTES, "guide-ur.pdf")
    assert first.status_code == 201, first.text
    revised = PDF_BYTES.replace(b"<<>>", b"<< /Revised true >>")
    second = await upload(api, material, revised, "guide-ur-v2.pdf", note="Typo fixed")
    assert second.status_code == 201, second.text
    assert (first.json()["version"], second.json()["version"]) == (1, 2)

    # Anyone signed in reads the library: here a partner's staff.
    listed = await api.get(
        f"/modules/{MODULE}/materials", params={"language": "ur"}, as_=world.mdpi_staff
    )
    assert listed.status_code == 200
    [shown] = [m for m in listed.json() if m["id"] == material]
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    assert shown["versions"][0]["note"] == "Typo fixed"
    for version, content in ((1, PDF_BYTES), (2, revised)):
        got = await api.get(f"/materials/{material}/versions/{version}/file", as_=world.mdpi_staff)
        assert got.status_code == 200
        assert got.content == content
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["etag"] == f'"{hashlib.sha256(content).hexdigest()}"'
    french = await api.get(f"/modules/{MODULE}/materials", params={"language": "fr"})
    assert material not in [m["id"] for m in french.json()]

    outbox, audit = plumbing.outbox, plumbing.audit
    events = (
        await enrolment_session.execute(
            select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.aggregate_id == material)
            .order_by(outbox.c.position)
        )
    ).all()
    assert [(e.event_type, e.payload["material_version"]) for e in events] == [
        ("training_material.published", 1),
        ("training_material.published", 2),
    ]
    actions = (
        await enrolment_session.execute(
            select(audit.c.action).where(audit.c.entity_id == material).order_by(audit.c.id)
        )
    ).all()
    assert [a.action for a in actions] == [
        "training_material.created",
        "training_material.version_added",
        "training_material.version_added",
    ]


async def test_only_the_ilo_publishes_and_bad_files_leave_nothing_behind(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    material = await new_material(api)
    refused = await api.post(
        f"/modules/{MODULE}/materials",
        json={"language": "en", "title": "Our own guide"},
        as_=world.efp_staff,
    )
    assert refused.status_code == 403
    by_partner = await upload(api, material, PDF_BYTES, "a.pdf", as_=world.efp_staff)
    assert by_partner.status_code == 403

    before = stored_files()
    disguised = await upload(api, material, b"MZ\x90\x00" + b"\x00" * 200, "guide.pdf")
    assert disguised.status_code == 415
    assert disguised.json()["errors"][0]["field"] == "body.file"
    bomb = await upload(api, material, png_bomb(30_000), "map.png")
    assert bomb.status_code == 422
    assert bomb.json()["errors"][0]["rule"] == "max_pixels"
    bad_language = await api.post(
        f"/modules/{MODULE}/materials", json={"language": "xx", "title": "Guide"}
    )
    assert bad_language.status_code == 422
    assert bad_language.json()["errors"][0]["field"] == "body.language"
    duplicate_title = (await api.get(f"/materials/{material}")).json()["title"]
    twice = await api.post(
        f"/modules/{MODULE}/materials", json={"language": "ur", "title": duplicate_title}
    )
    assert twice.status_code == 409
    assert stored_files() == before
    versions = await enrolment_session.execute(
        select(col(TrainingMaterialVersion.id)).where(
            col(TrainingMaterialVersion.material_id) == UUID(material)
        )
    )
    assert versions.all() == []
    assert await count_rows(enrolment_session, TrainingMaterial) >= 1


async def test_unknown_materials_modules_and_versions_are_not_found(api: Api) -> None:
    material = await new_material(api)
    assert (await upload(api, material, PDF_BYTES, "a.pdf")).status_code == 201
    for url in (
        f"/materials/{uuid4()}",
        f"/materials/{material}/versions/2/file",
        f"/materials/{uuid4()}/versions/1/file",
        "/modules/no_such_module/materials",
    ):
        assert (await api.get(url)).status_code == 404, url
    sent = await upload(api, str(uuid4()), PDF_BYTES, "a.pdf")
    assert sent.status_code == 404


async def test_graphql_lists_a_modules_materials_with_their_versions(
    api: Api, world: World
) -> None:
    material = await new_material(api, "fr")
    assert (await upload(api, material, PDF_BYTES, "guide.pdf")).status_code == 201
    data = await graph_data(
        api,
        """{ trainingMaterials(moduleCode: "workplace_cooperation", language: "fr")
             { id language versions { version contentType downloadPath } } }""",
        as_=world.efp_staff,
    )
    [shown] = [m for m in data["trainingMaterials"] if m["id"] == material]
    assert shown["versions"] == [
        {
            "version": 1,
            "contentType": "application/pdf",
            "downloadPath": f"/enrolment/materials/{material}/versions/1/file",
        }
    ]
    unknown = await graph_data(api, '{ trainingMaterials(moduleCode: "nope") { id } }')
    assert unknown == {"trainingMaterials": []}
