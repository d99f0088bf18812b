"""Webhook delivery: a worker inside the reporting service process (next to the feed
consumers that publish the events), any number of them at once.

Per endpoint, in one transaction holding the endpoint's row lock (``SKIP LOCKED``: one
worker per endpoint at a time, the others move on): queue the events published since its
cursor that its owner may read, then send the oldest pending delivery when it is due and
record the outcome. The queue, the log and the cursor live in the database, so a worker
killed mid-attempt loses nothing: the attempt's transaction rolls back and the delivery is
sent again (at least once, with the same webhook-id). Later deliveries wait for the oldest,
so each endpoint receives its events in feed order.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook
from tenacity import RetryCallState, wait_random_exponential

from services.reporting.feed.service import event_out
from services.reporting.settings import ReportingSettings
from services.reporting.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from services.reporting.webhooks.repository import webhook_repository
from services.reporting.webhooks.service import expired, owner_of
from services.reporting.webhooks.targets import TargetRefused, check_target
from shared.columns import utcnow
from shared.consumer import SessionSource

log = logging.getLogger(__name__)

# Events queued per endpoint per look: bounds one transaction's work.
ENQUEUE_BATCH = 500
# Deliveries sent per endpoint before the worker turns to the others.
SEND_BATCH = 50
_ERROR_LIMIT = 500


def signature(endpoint: WebhookEndpoint, msg_id: str, at: datetime, body: str) -> str:
    """The webhook-signature header: the current secret's signature, and during a
    rotation's overlap the previous secret's too (space-separated, as the spec allows)."""
    signatures = [Webhook(endpoint.secret).sign(msg_id, at, body)]
    if endpoint.previous_secret and not expired(endpoint.previous_secret_expires_at, at):
        signatures.append(Webhook(endpoint.previous_secret).sign(msg_id, at, body))
    return " ".join(signatures)


def backoff(settings: ReportingSettings, attempts: int) -> float:
    """Seconds before the next attempt: exponential, capped, full jitter (tenacity's)."""
    wait = wait_random_exponential(
        multiplier=settings.webhook_backoff_initial, max=settings.webhook_backoff_max
    )
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = max(attempts, 1)
    return float(wait(state))


class WebhookWorker:
    def __init__(
        self, settings: ReportingSettings, database: SessionSource, http: httpx.AsyncClient
    ) -> None:
        self.settings = settings
        self.database = database
        self.http = http
        self._slots = asyncio.Semaphore(settings.webhook_concurrency)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("webhook delivery failed; retrying")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.webhook_poll_interval)

    async def run_once(self) -> bool:
        """One pass over the active endpoints; whether anything was sent or queued."""
        async with self.database.transaction() as session:
            endpoint_ids = await webhook_repository.active_ids(session)
        results = await asyncio.gather(*(self._serve(endpoint) for endpoint in endpoint_ids))
        return any(results)

    async def _serve(self, endpoint_id: Any) -> bool:
        async with self._slots:
            busy = False
            for index in range(SEND_BATCH):
                # New events are queued on the first step; the rest only send.
                outcome = await self._step(endpoint_id, enqueue=index == 0)
                busy = busy or outcome != "idle"
                if outcome != "sent":
                    break
            return busy

    async def _step(self, endpoint_id: Any, *, enqueue: bool = True) -> str:
        """Queue new events, then try the head of the queue: "sent" (delivered or
        suppressed; try the next), "failed", "queued" or "idle"."""
        async with self.database.transaction() as session:
            endpoint = await webhook_repository.lock(session, endpoint_id)
            if endpoint is None:
                return "idle"
            queued = await self._enqueue(session, endpoint) if enqueue else False
            delivery = await webhook_repository.head_of_queue(session, endpoint.id)
            now = utcnow()
            if delivery is None or delivery.next_attempt_at > now:
                return "queued" if queued else "idle"
            event = await webhook_repository.visible_event(
                session, delivery.event_position, owner=owner_of(endpoint)
            )
            if event is None:
                # No longer the owner's to receive (consent withdrawn): never sent.
                delivery.status = "suppressed"
                session.add(delivery)
                return "sent"
            body = event_out(event).model_dump_json()
            ok = await self._attempt(session, endpoint, delivery, body)
            return "sent" if ok else "failed"

    async def _enqueue(self, session: Any, endpoint: WebhookEndpoint) -> bool:
        events, scanned = await webhook_repository.new_events(
            session,
            owner=owner_of(endpoint),
            after=endpoint.cursor,
            types=endpoint.event_types,
            limit=ENQUEUE_BATCH,
        )
        rows: Sequence[dict[str, Any]] = [
            {
                "endpoint_id": endpoint.id,
                "event_position": event.position,
                "event_id": event.id,
                "event_type": event.event_type,
                "next_attempt_at": utcnow(),
            }
            for event in events
        ]
        await webhook_repository.enqueue(session, rows)
        if scanned != endpoint.cursor:
            endpoint.cursor = scanned
            session.add(endpoint)
        return bool(rows)

    async def _attempt(
        self, session: Any, endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: str
    ) -> bool:
        at = utcnow()
        msg_id = str(delivery.event_id)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature(endpoint, msg_id, at, body),
            "user-agent": "SCORE-Webhooks/1",
        }
        status_code: int | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            await check_target(endpoint.url, allow_private=self.settings.private_targets_allowed)
            response = await self.http.post(
                endpoint.url,
                content=body.encode(),
                headers=headers,
                timeout=self.settings.webhook_timeout,
                follow_redirects=False,
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}: {response.text[:200]}"
        except TargetRefused as exc:
            error = f"refused target: {exc}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT] or type(exc).__name__
        duration_ms = int((time.perf_counter() - started) * 1000)
        await webhook_repository.record_attempt(
            session,
            WebhookAttempt(
                delivery_id=delivery.id,
                attempted_at=at,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
            ),
        )
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error
        now = utcnow()
        if error is None:
            delivery.status, delivery.delivered_at = "delivered", now
            endpoint.failing_since = None
        else:
            delivery.next_attempt_at = now + timedelta(
                seconds=backoff(self.settings, delivery.attempts)
            )
            endpoint.failing_since = endpoint.failing_since or at
            failing_for = (now - endpoint.failing_since).total_seconds()
            if failing_for >= self.settings.webhook_disable_after:
                endpoint.status, endpoint.disabled_at = "disabled", now
                endpoint.disabled_reason = (
                    f"Every delivery failed since {endpoint.failing_since.isoformat()} "
                    f"({delivery.attempts} attempts of the oldest); last: {error}"
                )
        session.add(delivery)
        session.add(endpoint)
        return error is None


def webhook_delivery(settings: ReportingSettings) -> Any:
    """The reporting app's background work that delivers webhooks."""

    async def deliver(app: FastAPI, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient() as http:
            worker = WebhookWorker(settings, app.state.database, http)
            app.state.webhook_worker = worker
            await worker.run_forever(stop)

    return deliver
