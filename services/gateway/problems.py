"""Problem details only the edge produces: upstream failures, oversize bodies, rate limits."""

from shared.problems import Problem


class InternalError(Problem):
    status = 500
    type_slug = "internal-error"
    title = "Internal server error"


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


class ServiceUnavailable(Problem):
    status = 503
    type_slug = "unavailable"
    title = "Temporarily unavailable"


class GatewayTimeout(Problem):
    status = 504
    type_slug = "upstream-timeout"
    title = "Service timed out"
