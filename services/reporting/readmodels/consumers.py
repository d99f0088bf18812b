"""Reporting's two feed consumers: which feed each reads and which projector applies it."""

from dataclasses import dataclass

import httpx

from services.reporting.db import plumbing
from services.reporting.readmodels.projector import (
    ENROLMENT_CONSUMER,
    INDICATORS_CONSUMER,
    apply_enrolment_event,
    apply_indicators_event,
)
from services.reporting.settings import ReportingSettings
from shared.consumer import FeedConsumer, Handler, SessionSource
from shared.feeds import feed_token

# The producing services and the consumer applying each one's feed here.
CONSUMERS = {"enrolment": ENROLMENT_CONSUMER, "indicators": INDICATORS_CONSUMER}


@dataclass(frozen=True)
class Feed:
    """A producing service's event feed and the consumer that projects it here."""

    source: str  # the producing service: "enrolment" | "indicators"
    consumer: str  # the consumer's name, its cursor's key
    url: str
    handler: Handler


def feeds(settings: ReportingSettings) -> list[Feed]:
    return [
        Feed(
            source="enrolment",
            consumer=CONSUMERS["enrolment"],
            url=f"{settings.enrolment_url.rstrip('/')}/events",
            handler=apply_enrolment_event,
        ),
        Feed(
            source="indicators",
            consumer=CONSUMERS["indicators"],
            url=f"{settings.indicators_url.rstrip('/')}/events",
            handler=apply_indicators_event,
        ),
    ]


def feed_consumer(
    feed: Feed,
    *,
    settings: ReportingSettings,
    database: SessionSource,
    http: httpx.AsyncClient | None = None,
) -> FeedConsumer:
    return FeedConsumer(
        name=feed.consumer,
        feed_url=feed.url,
        database=database,
        plumbing=plumbing,
        handler=feed.handler,
        token=lambda: feed_token(settings, producer=feed.source),
        http=http,
    )
