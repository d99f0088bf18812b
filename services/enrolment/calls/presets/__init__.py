"""Ready-made criteria sets of past calls, shipped as JSON next to this module.

Each ``<name>.json`` file is a ``CriteriaSet`` document (``{"criteria": [...]}``), the
same shape the REST layer accepts, so a preset can be copied into a new call and edited.
"""

from __future__ import annotations

import re
from importlib.resources import files

from services.enrolment.calls.rules import CriteriaSet, CriterionSpec

__all__ = ["available_presets", "load_preset"]

# Only plain slugs: the name picks a file inside this package and must not walk out of it.
_PRESET_NAME = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


def available_presets() -> list[str]:
    """Names of the presets shipped with the platform, sorted."""
    return sorted(
        entry.name.removesuffix(".json")
        for entry in files(__name__).iterdir()
        if entry.is_file() and entry.name.endswith(".json")
    )


def load_preset(name: str) -> list[CriterionSpec]:
    """Load and validate the preset ``name`` (e.g. ``"pakistan_2018"``).

    Raises ``LookupError`` for an unknown name and pydantic's ``ValidationError`` if the
    shipped file is not a valid criteria set.
    """
    resource = files(__name__).joinpath(f"{name}.json")
    if not _PRESET_NAME.fullmatch(name) or not resource.is_file():
        raise LookupError(
            f"no criteria preset named {name!r}; available: {', '.join(available_presets())}"
        )
    return CriteriaSet.model_validate_json(resource.read_bytes()).criteria
