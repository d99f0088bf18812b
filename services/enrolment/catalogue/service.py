"""The SCORE module catalogue: ILO-managed changes to it, read by anyone."""

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.catalogue.repository import module_repository
from services.enrolment.catalogue.schemas import ModuleCreate, ModulePublic, ModuleUpdate
from services.enrolment.db import changes
from shared.enums import Role
from shared.identity import Principal
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error


def _require_ilo(principal: Principal) -> None:
    if principal.role is not Role.ilo_global:
        raise Forbidden("Only the ILO global team can change the module catalogue")


class ModuleService:
    async def get_all(
        self, session: AsyncSession, *, active: bool | None = None
    ) -> list[ModulePublic]:
        # The catalogue is programme information, not tenant data: any caller may read it.
        rows = await module_repository.get_all(session, active=active)
        return [ModulePublic.model_validate(row) for row in rows]

    async def get_or_404(self, session: AsyncSession, code: str) -> TrainingModule:
        module = await module_repository.get_by_code(session, code)
        if module is None:
            raise NotFound(f"Module '{code}' not found")
        return module

    async def get(self, session: AsyncSession, code: str) -> ModulePublic:
        return ModulePublic.model_validate(await self.get_or_404(session, code))

    async def create(
        self, session: AsyncSession, data: ModuleCreate, *, principal: Principal
    ) -> ModulePublic:
        _require_ilo(principal)
        taken = Conflict(
            f"A module with code '{data.code}' already exists",
            errors=[field_error("body.code", "unique", "already in the catalogue", data.code)],
        )
        if await module_repository.get_by_code(session, data.code) is not None:
            raise taken
        await self._check_replacement(session, data.code, data.replaced_by_code)
        module = TrainingModule(**data.model_dump())
        try:
            # A concurrent request may have created the same code since the check above.
            async with session.begin_nested():
                session.add(module)
        except IntegrityError as exc:
            raise taken from exc
        public = ModulePublic.model_validate(module)
        await changes.audit(
            session,
            principal=principal,
            action="training_module.created",
            entity_type="training_module",
            entity_id=module.id,
            after=public,
        )
        return public

    async def update(
        self, session: AsyncSession, code: str, data: ModuleUpdate, *, principal: Principal
    ) -> ModulePublic:
        _require_ilo(principal)
        module = await self.get_or_404(session, code)
        before = ModulePublic.model_validate(module)
        changed = data.model_dump(exclude_unset=True)
        for field in ("name", "level", "classroom_days", "active"):
            if changed.get(field) is None:
                changed.pop(field, None)  # explicit null on a required field means "unchanged"
        if "replaced_by_code" in changed:
            await self._check_replacement(session, code, changed["replaced_by_code"])
        for field, value in changed.items():
            setattr(module, field, value)
        session.add(module)
        await session.flush()
        after = ModulePublic.model_validate(module)
        await changes.audit(
            session,
            principal=principal,
            action="training_module.updated",
            entity_type="training_module",
            entity_id=module.id,
            before=before,
            after=after,
        )
        return after

    async def _check_replacement(
        self, session: AsyncSession, code: str, replaced_by_code: str | None
    ) -> None:
        if replaced_by_code is None:
            return
        if replaced_by_code == code:
            raise InvalidInput(
                "A module cannot replace itself",
                errors=[
                    field_error(
                        "body.replaced_by_code", "not_self", "must name another module", code
                    )
                ],
            )
        if await module_repository.get_by_code(session, replaced_by_code) is None:
            raise InvalidInput(
                f"Unknown replacement module '{replaced_by_code}'",
                errors=[
                    field_error(
                        "body.replaced_by_code",
                        "module",
                        "must be a module in the catalogue",
                        replaced_by_code,
                    )
                ],
            )


module_service = ModuleService()
