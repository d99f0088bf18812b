"""The platform's services: how `score` finds, migrates and runs each one."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ServiceSettings


class _DatabaseOnly(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: SecretStr | None = None


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    app_factory: str  # "module:function" building the app (tests call it too)
    env_prefix: str

    @property
    def process_factory(self) -> str:
        """The uvicorn --factory entry of the process serving it: the app, tuned for a long
        life in a process of its own (services/serving.py)."""
        return f"services.serving:{self.name}"

    @property
    def has_reference_data(self) -> bool:
        """Whether `ensure_reference_data` may load anything (importing a good part of the
        service to do it where something is missing): `score up` starts the other processes
        meanwhile."""
        return self.name == "indicators"

    async def ensure_reference_data(self, url: str) -> int:
        """Load the data every database of the service needs (after its migrations)."""
        loader: Callable[[str], Awaitable[int]] | None = None
        if self.has_reference_data:
            from services.indicators.seed import ensure_reference_data

            loader = ensure_reference_data
        return await loader(url) if loader is not None else 0

    def database_url(self) -> SecretStr | None:
        """Only ``{prefix}DATABASE_URL``: migrating needs no key or secret of the service."""
        return _DatabaseOnly(_env_prefix=self.env_prefix).database_url

    def settings(self) -> ServiceSettings:
        # Imported lazily so `score token` does not import every service.
        if self.name == "enrolment":
            from services.enrolment.settings import EnrolmentSettings

            return EnrolmentSettings()
        if self.name == "indicators":
            from services.indicators.settings import IndicatorsSettings

            return IndicatorsSettings()
        if self.name == "reporting":
            from services.reporting.settings import ReportingSettings

            return ReportingSettings()
        if self.name == "gateway":
            from services.gateway.settings import GatewaySettings

            return GatewaySettings()
        raise LookupError(self.name)


SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry("enrolment", "services.enrolment.app:create_app", "SCORE_ENROLMENT_"),
    ServiceEntry("indicators", "services.indicators.app:create_app", "SCORE_INDICATORS_"),
    ServiceEntry("reporting", "services.reporting.app:create_app", "SCORE_REPORTING_"),
    # Last: `score up` starts it once the services it fronts are starting.
    ServiceEntry("gateway", "services.gateway.app:create_app", "SCORE_GATEWAY_"),
)

ENTRY_POINT = "gateway"
