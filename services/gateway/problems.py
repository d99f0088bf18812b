"""Problem details only the edge produces: upstream failures, oversize bodies, rate limits."""

from shared.problems import InternalError, Problem, ServiceUnavailable

__all__ = [
    "BadGateway",
    "GatewayRestarting",
    "GatewayTimeout",
    "InternalError",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "TooManyRequests",
    "UploadsBusy",
]


class PayloadTooLarge(Problem):
    status = 413
    type_slug = "payload-too-large"
    title = "Request body too large"


class TooManyRequests(Problem):
    status = 429
    type_slug = "rate-limited"
    title = "Too many requests"


class BadGateway(Problem):
    status = 502
    type_slug = "upstream-unreachable"
    title = "Service unreachable"


class GatewayTimeout(Problem):
    status = 504
    type_slug = "upstream-timeout"
    title = "Service timed out"


class GatewayRestarting(ServiceUnavailable):
    """The gateway began to stop (a deploy) before the service answered: ask again, another
    replica or the restarted gateway answers."""

    type_slug = "gateway-restarting"
    title = "Gateway restarting"


class UploadsBusy(ServiceUnavailable):
    """As many uploads as the gateway streams at once are on their way: ask again soon."""

    type_slug = "uploads-busy"
    title = "Too many uploads in progress"
