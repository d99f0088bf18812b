"""What a GraphQL mutation needs at the gateway beyond a query: the ``write`` scope, and
``Idempotency-Key`` honoured exactly as for REST.

The gateway keeps no record of its own (shared/idempotency.py is the one mechanism): it
forwards the client's key with every mutation it sends a subgraph, and each subgraph
records its part of the answer in the same transaction as its writes. The same mutation
retried with the same key plans to the same subgraph documents, so each subgraph replays
its part and writes nothing twice; a key reused for another mutation is refused (409).
"""

from dataclasses import dataclass, field

import httpx

from services.gateway.graph.errors import RequestError
from shared.idempotency import HEADER, MAX_KEY_LENGTH, REPLAY_HEADER

WRITE_SCOPE = "write"


class WriteRefused(Exception):
    """A mutation the gateway does not send: its answer is ``error`` (status and code)."""

    def __init__(self, error: RequestError) -> None:
        super().__init__(str(error))
        self.error = error


def require_write_scope(scopes: frozenset[str]) -> None:
    if WRITE_SCOPE not in scopes:
        raise WriteRefused(
            RequestError(
                f"This credential's scopes ({', '.join(sorted(scopes)) or 'none'}) do not allow "
                f"mutations; they need the '{WRITE_SCOPE}' scope",
                "FORBIDDEN",
                status=403,
            )
        )


@dataclass
class MutationKey:
    """The client's Idempotency-Key for one request, and what the subgraphs made of it."""

    value: str
    sent: int = 0
    replayed: int = 0
    services: list[str] = field(default_factory=list)

    @classmethod
    def from_header(cls, value: str | None) -> "MutationKey | None":
        if value is None:
            return None
        if not value.strip() or len(value) > MAX_KEY_LENGTH:
            raise WriteRefused(
                RequestError(
                    f"The {HEADER} header must hold 1 to {MAX_KEY_LENGTH} characters",
                    "BAD_USER_INPUT",
                    status=422,
                    extensions={"field": f"header.{HEADER}"},
                )
            )
        return cls(value)

    @property
    def all_replayed(self) -> bool:
        """Every subgraph the mutation wrote to answered from its record."""
        return self.sent > 0 and self.replayed == self.sent

    def headers(self) -> dict[str, str]:
        return {HEADER: self.value}

    def observe(self, subgraph: str, response: httpx.Response) -> None:
        """Note a keyed subgraph answer; a key the subgraph refused refuses the request."""
        self.sent += 1
        self.services.append(subgraph)
        if response.headers.get(REPLAY_HEADER) == "true":
            self.replayed += 1
        if response.status_code in (409, 422) and response.headers.get(
            "content-type", ""
        ).startswith("application/problem+json"):
            problem = response.json()
            raise WriteRefused(
                RequestError(
                    str(problem.get("detail", "The Idempotency-Key was refused")),
                    "IDEMPOTENCY_KEY_REUSED" if response.status_code == 409 else "BAD_USER_INPUT",
                    status=response.status_code,
                    extensions={"service": subgraph, "errors": problem.get("errors", [])},
                )
            )
