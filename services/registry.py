"""The platform's services: how `score` finds, migrates and runs each one."""

from dataclasses import dataclass

from shared.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    app_factory: str  # "module:function" for uvicorn --factory
    env_prefix: str

    def settings(self) -> ServiceSettings:
        # Imported lazily so `score token` does not import every service.
        if self.name == "enrolment":
            from services.enrolment.settings import EnrolmentSettings

            return EnrolmentSettings()
        if self.name == "indicators":
            from services.indicators.settings import IndicatorsSettings

            return IndicatorsSettings()
        raise LookupError(self.name)


SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry("enrolment", "services.enrolment.app:create_app", "SCORE_ENROLMENT_"),
    ServiceEntry("indicators", "services.indicators.app:create_app", "SCORE_INDICATORS_"),
)
