"""Errors the GraphQL engine raises: refused compositions, unreachable subgraphs, a graph
that is not composed yet."""


class CompositionError(Exception):
    """A subgraph uses something the gateway's federation subset does not support, or the
    subgraphs disagree; the message names the subgraph, the type and the field."""

    def __init__(
        self,
        message: str,
        *,
        subgraph: str | None = None,
        type_name: str | None = None,
        field: str | None = None,
    ) -> None:
        self.subgraph = subgraph
        self.type_name = type_name
        self.field = field
        coordinates = ".".join(part for part in (type_name, field) if part)
        where = ", ".join(
            part
            for part in (
                f"subgraph '{subgraph}'" if subgraph else "",
                f"at {coordinates}" if coordinates else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class SubgraphUnreachable(Exception):
    """A subgraph did not answer its schema request (down, timed out, refused, not GraphQL)."""

    def __init__(self, subgraph: str, url: str, reason: str) -> None:
        self.subgraph = subgraph
        self.url = url
        self.reason = reason
        super().__init__(f"subgraph '{subgraph}' at {url} could not be reached: {reason}")


class GraphNotReady(Exception):
    """``execute`` was called before ``compose`` succeeded."""

    def __init__(self) -> None:
        super().__init__("The GraphQL schema is not composed yet; try again shortly")


INTERNAL_ERROR_CODE = "INTERNAL_SERVER_ERROR"


class RequestError(Exception):
    """The request cannot be executed at all (bad parameters, syntax, validation, a limit):
    the response has ``errors`` and no ``data``, and no subgraph was called."""

    def __init__(
        self,
        message: str,
        code: str,
        *,
        status: int = 400,
        extensions: dict[str, object] | None = None,
        locations: list[dict[str, int]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.extensions = extensions or {}
        self.locations = locations

    def as_dict(self) -> dict[str, object]:
        error: dict[str, object] = {"message": self.message}
        if self.locations:
            error["locations"] = self.locations
        error["extensions"] = {"code": self.code, **self.extensions}
        return error


class RequestErrors(RequestError):
    """Several request errors at once (a document's validation errors)."""

    def __init__(self, errors: list[dict[str, object]], code: str) -> None:
        first = errors[0].get("message", "") if errors else ""
        super().__init__(str(first), code)
        self.errors = errors


class MutationOverGet(Exception):
    """GET may only read: a mutation sent over GET answers 405 (Allow: POST)."""

    def __init__(self) -> None:
        super().__init__("Mutations must be sent with POST")
        self.error = RequestError(
            "Mutations must be sent with POST; GET requests may only run queries",
            "METHOD_NOT_ALLOWED",
            status=405,
        )
