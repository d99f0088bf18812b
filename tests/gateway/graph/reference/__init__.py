"""The reference Federation 2 composer (`@theguild/federation-composition`, pinned in this
folder's package-lock.json), run with Node.js: the oracle the gateway's composer is held to.

    (cd tests/gateway/graph/reference && npm ci)   # the tests do this themselves
"""

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from graphql import (
    DocumentNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    build_schema,
    lexicographic_sort_schema,
    parse,
    print_schema,
)

from tests.node_packages import installed

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ReferenceResult:
    accepted: bool
    public_sdl: str | None = None
    # Each refusal's code (INVALID_FIELD_SHARING, ...) and message.
    errors: list[dict[str, str | None]] = field(default_factory=list)


def compose_with_reference(sets: Sequence[Mapping[str, str]]) -> list[ReferenceResult]:
    """Each set of subgraphs (name -> SDL) composed by the reference, in one Node process.
    Subgraphs go in name order, the order the gateway composes them in."""
    node = installed(HERE, "@theguild/federation-composition")
    payload = json.dumps([{name: sdls[name] for name in sorted(sdls)} for sdls in sets])
    completed = subprocess.run(
        [node, str(HERE / "compose.mjs")],
        input=payload, capture_output=True, text=True, cwd=HERE, check=True, timeout=600,
    )  # fmt: skip
    return [
        ReferenceResult(
            accepted=bool(result["ok"]),
            public_sdl=_without_hidden_members(result["publicSdl"]) if result["ok"] else None,
            errors=result.get("errors") or [],
        )
        for result in json.loads(completed.stdout)
    ]


def normalised(sdl: str) -> str:
    """A schema printed with types, fields, arguments and values in name order: two
    composers' public schemas compare equal when they describe the same API."""
    return print_schema(lexicographic_sort_schema(build_schema(sdl)))


def _without_hidden_members(sdl: str) -> str:
    """The reference's public schema, minus one flaw of it: it keeps @inaccessible union
    members in the union while leaving their definitions out (a schema that does not
    build). Apollo's own API schema drops them, as the gateway does."""
    document = parse(sdl, no_location=True)
    defined = {d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)}
    definitions = tuple(
        UnionTypeDefinitionNode(
            name=d.name,
            description=d.description,
            directives=d.directives,
            types=tuple(t for t in d.types or () if t.name.value in defined),
        )
        if isinstance(d, UnionTypeDefinitionNode)
        else d
        for d in document.definitions
    )
    return print_schema(build_ast_schema(DocumentNode(definitions=definitions)))
