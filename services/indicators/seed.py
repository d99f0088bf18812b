"""Reference data the indicators service needs in every database: the standard indicators.

Run by `score migrate` / `score up` after the migrations; idempotent, and indicators the
ILO has changed since are left as they are.

Whether there is anything to load is told cheaply, as ``shared.migration_state`` tells a
database at head: the standard codes are read from ``catalogue/standard.py``'s source (no
model, schema or service import: half a second of CPU that `score up` paid at every start,
beside the service's own process importing the same) and the stored ones with one query.
Anything the reader cannot read for certain answers "something to load", and the loader,
which inserts only the codes missing, decides.
"""

import ast
from pathlib import Path

import asyncpg

from shared.embedded_pg import asyncpg_dsn

STANDARD_SOURCE = Path(__file__).resolve().parent / "catalogue" / "standard.py"
# The functions whose first argument is the code of the standard indicator they make.
_MAKERS = frozenset({"_numeric", "_practice"})


def _codes_of(node: ast.expr, tuples: dict[str, ast.expr]) -> list[str] | None:
    """The codes of a tuple of indicators: a literal tuple of ``_MAKERS`` calls, a name bound
    to one, or their concatenation; None if anything else."""
    if isinstance(node, ast.Name) and node.id in tuples:
        return _codes_of(tuples.pop(node.id), tuples)  # popped: each name read once
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _codes_of(node.left, tuples), _codes_of(node.right, tuples)
        return None if left is None or right is None else left + right
    if not isinstance(node, ast.Tuple):
        return None
    codes: list[str] = []
    for item in node.elts:
        if not (
            isinstance(item, ast.Call)
            and isinstance(item.func, ast.Name)
            and item.func.id in _MAKERS
            and item.args
            and isinstance(item.args[0], ast.Constant)
            and isinstance(item.args[0].value, str)
        ):
            return None
        codes.append(item.args[0].value)
    return codes


def standard_codes(source: str | None = None) -> frozenset[str] | None:
    """The codes of ``STANDARD_INDICATORS`` as its source states them; None when the source
    does not state them literally."""
    module = ast.parse(STANDARD_SOURCE.read_text(encoding="utf-8") if source is None else source)
    tuples: dict[str, ast.expr] = {}
    for node in module.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            tuples[node.target.id] = node.value
        elif isinstance(node, ast.Assign) and isinstance(target := node.targets[0], ast.Name):
            tuples[target.id] = node.value
    standard = tuples.pop("STANDARD_INDICATORS", None)
    codes = None if standard is None else _codes_of(standard, tuples)
    return frozenset(codes) if codes else None


async def reference_data_present(url: str) -> bool:
    """Whether every standard indicator's code is in the catalogue already."""
    codes = standard_codes()
    if codes is None:
        return False
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if await connection.fetchval("SELECT to_regclass('indicator')") is None:
            return False
        present = await connection.fetchval(
            "SELECT count(*) FROM indicator WHERE code = ANY($1::text[])", list(codes)
        )
    finally:
        await connection.close()
    return bool(present == len(codes))


async def ensure_reference_data(url: str) -> int:
    """Insert the standard indicators missing from the catalogue; how many were."""
    if await reference_data_present(url):
        return 0
    # Only now: the catalogue's models, schemas and service (see above).
    from services.indicators.catalogue.standard import ensure_standard_indicators
    from shared.db import Database

    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            return await ensure_standard_indicators(session)
    finally:
        await database.dispose()
