"""A value refused only because this service has not yet seen an enrolment change (an
enterprise registered or enrolled a moment ago) is refused as a transient condition, with
its own problem type and ``Retry-After``, not as the 422 of a value that is wrong."""

from fastapi import Request

from shared.consumer import FeedConsumer
from shared.problems import Conflict, Problem

# Rules judged on the enrolment replica: a lagging replica can break them by itself.
REPLICA_RULES = frozenset({"unknown_enterprise", "enrolled"})
# The replica follows enrolment's feed by long polling: a change arrives within a second
# or so; a couple of seconds covers a busy moment.
RETRY_AFTER_SECONDS = 2


class EnrolmentNotYetSeen(Conflict):
    type_slug = "enrolment-not-yet-seen"
    title = "Enrolment change not yet seen"


async def unless_replica_behind(request: Request, refused: Problem) -> Problem:
    """``refused``, or the transient problem when every error it names depends on the
    enrolment replica and enrolment has changes the replica has not applied yet."""
    errors = refused.errors or []
    if not errors or any(error.get("rule") not in REPLICA_RULES for error in errors):
        return refused
    consumer: FeedConsumer | None = getattr(request.app.state, "enrolment_consumer", None)
    if consumer is None or not await consumer.behind():
        return refused
    return EnrolmentNotYetSeen(
        "The values name enterprises or enrolments this service has not caught up with yet "
        f"(enrolment changed a moment ago); send the same request again in "
        f"{RETRY_AFTER_SECONDS} s",
        errors=errors,
        retry_after=RETRY_AFTER_SECONDS,
    )
