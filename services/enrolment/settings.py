"""Enrolment service settings (env prefix ``SCORE_ENROLMENT_``)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class EnrolmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORE_ENROLMENT_", extra="ignore")

    service_name: str = "enrolment"
    port: int = 8001
    # Beyond this many enterprises a cohort is accepted with a warning (domain: 4-5).
    cohort_recommended_max: int = 5
