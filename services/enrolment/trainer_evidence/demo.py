"""The demo's certification evidence (`score seed --demo`): the Karachi batch's trainers
passed the quiz of every session of Module 1's path and submitted their assignment, drawn
here as a one-page PDF so the demo ships no files of its own."""

import io
from datetime import date, timedelta
from uuid import UUID

from fastapi import UploadFile
from PIL import Image, ImageDraw
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.service import module_service
from services.enrolment.trainer_evidence import rules
from services.enrolment.trainer_evidence.schemas import QuizResultPut
from services.enrolment.trainer_evidence.service import evidence_service
from shared.identity import Principal
from shared.storage import FileStore, StorageSettings


def _assignment(trainer_name: str) -> bytes:
    sheet = Image.new("L", (595, 842), 255)  # A4 at 72 dpi, greyscale
    ImageDraw.Draw(sheet).text(
        (60, 60), f"SCORE ToT assignment - {trainer_name} - improvement plan", fill=0
    )
    out = io.BytesIO()
    sheet.save(out, format="PDF")
    return out.getvalue()


async def load_evidence(
    session: AsyncSession,
    trainer_id: UUID,
    module_code: str,
    *,
    trainer_name: str,
    tot_on: date,
    sessions_passed: int | None = None,
    store: FileStore,
    storage: StorageSettings,
    principal: Principal,
) -> int:
    """Passed quizzes (every session's unless ``sessions_passed``) and, with all of them, the
    assignment; the number of pieces of evidence recorded."""
    module = await module_service.get_or_404(session, module_code)
    sessions = rules.path_sessions(module)
    passed = sessions if sessions_passed is None else sessions_passed
    for number in range(1, passed + 1):
        await evidence_service.record_quiz(
            session,
            trainer_id,
            module_code,
            number,
            QuizResultPut(
                score=70 + 5 * number,
                pass_mark=70,
                taken_on=tot_on - timedelta(days=sessions - number),
            ),
            principal=principal,
        )
    if passed < sessions:
        return passed
    await evidence_service.add_assignment(
        session,
        trainer_id,
        module_code,
        upload=UploadFile(io.BytesIO(_assignment(trainer_name)), filename="assignment.pdf"),
        note="Improvement plan for a Karachi garment factory",
        store=store,
        storage=storage,
        principal=principal,
    )
    return passed + 1
