"""FastAPI answers, on every request and for every declared parameter, questions whose answer
never changes once the route is built: is this query parameter a model, under which names
may it come, is its type a sequence (asked twice), is it JSON. On the enterprise list (six
query parameters) that was about 5% of the request's instructions, more than its SQL
statement's compile-once lookup and its response encoding together (callgrind, in process).

``remember_parameter_facts`` makes FastAPI ask each question once per parameter: the answer
is kept on the parameter's field itself, so it lives and dies with its route. The helpers
are FastAPI's private ones (``fastapi.dependencies.utils``), the seam its maintainers were
offered a fix for (fastapi/fastapi#13824); the lock file pins the version, and
tests/shared/test_fastapi_params.py fails if the seam moves. If it has moved, FastAPI is left
as it is (slower, never wrong) and a warning says so.
"""

import functools
import logging
from collections.abc import Callable
from typing import Any

import fastapi.dependencies.utils as fastapi_dependencies

log = logging.getLogger("score.fastapi_params")

# FastAPI's per-field helpers, each a pure function of the field (and of the keyword options
# it is called with).
PER_FIELD = ("_get_param_model", "_get_param_aliases", "_is_json_field")
# A pure function of a type annotation.
PER_ANNOTATION = "field_annotation_is_sequence"
# Where the answers are kept on a field (a dataclass instance, ``ModelField``).
_FACTS = "_score_parameter_facts"
# Set on a helper this module wrapped, so applying twice wraps once.
_REMEMBERING = "_score_remembering"


def _per_field(name: str, ask: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(ask)
    def remembered(field: Any, **options: Any) -> Any:
        state = getattr(field, "__dict__", None)
        if state is None:  # a field that cannot keep them: asked every time
            return ask(field, **options)
        facts: dict[Any, tuple[Any, Any]] | None = state.get(_FACTS)
        if facts is None:
            facts = state[_FACTS] = {}
        key = (name, *options.items()) if options else name
        known = facts.get(key)
        # Kept with the field's FieldInfo, which the answers are about: should FastAPI ever
        # give the field another one, the question is asked again.
        if known is not None and known[0] is field.field_info:
            return known[1]
        answer = ask(field, **options)
        facts[key] = (field.field_info, answer)
        return answer

    setattr(remembered, _REMEMBERING, True)
    return remembered


def _per_annotation(ask: Callable[[Any], bool]) -> Callable[[Any], bool]:
    # Bounded: an app has a few hundred annotations; odd ones cannot grow it without end.
    cached = functools.lru_cache(maxsize=4096)(ask)

    @functools.wraps(ask)
    def remembered(annotation: Any) -> bool:
        try:
            return cached(annotation)
        except TypeError:  # an annotation that cannot be hashed is asked every time
            return ask(annotation)

    setattr(remembered, _REMEMBERING, True)
    return remembered


def remember_parameter_facts() -> bool:
    """Make FastAPI work out each parameter's fixed facts once; whether it could (False: the
    seam has moved in this FastAPI version, which then runs as it came)."""
    helpers = {
        name: getattr(fastapi_dependencies, name, None) for name in (*PER_FIELD, PER_ANNOTATION)
    }
    missing = [name for name, helper in helpers.items() if not callable(helper)]
    if missing:
        log.warning(
            "FastAPI no longer has %s: its parameters' facts are worked out on every request",
            ", ".join(missing),
        )
        return False
    for name in PER_FIELD:
        helper = helpers[name]
        if not getattr(helper, _REMEMBERING, False):
            setattr(fastapi_dependencies, name, _per_field(name, helper))  # type: ignore[arg-type]
    helper = helpers[PER_ANNOTATION]
    if not getattr(helper, _REMEMBERING, False):
        setattr(fastapi_dependencies, PER_ANNOTATION, _per_annotation(helper))  # type: ignore[arg-type]
    return True
