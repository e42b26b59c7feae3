"""Backstage catalog entities (several YAML documents in one file)."""

from __future__ import annotations

import math
from typing import Any

from oncall.model import Catalog, CatalogEntity
from oncall.sources.fields import Fields

# The annotations `oncall` computes with (the tier is an integer, checked as a number).
NUMERIC_ANNOTATIONS = (
    "oncall/tier",
    "oncall/users-per-minute",
    "oncall/revenue-per-minute",
    "oncall/slo-latency-p95-seconds",
    "oncall/slo-error-ratio",
)


def parse_catalog(documents: list[Any], path: str) -> Catalog:
    f = Fields(path)
    entities: list[CatalogEntity] = []
    for i, raw in enumerate(documents):
        if raw is None:
            continue
        where = f"document[{i}]"
        doc = f.mapping(raw, where)
        kind = f.text(doc, "kind", where)
        meta = f.get_mapping(doc, "metadata", where)
        spec = f.get_mapping(doc, "spec", where)
        name = f.text(meta, "name", f"{where}.metadata")
        annotations = f.string_map(meta, "annotations", f"{where}.metadata")
        for key in NUMERIC_ANNOTATIONS:
            if annotations.get(key):
                _check_number(f, annotations[key], f"{where}.metadata.annotations.{key}")
        deps = f.scalar_list(spec, "dependsOn", f"{where}.spec")
        profile = f.get_mapping(spec, "profile", f"{where}.spec")
        entities.append(
            CatalogEntity(
                kind=kind,
                name=name,
                annotations=annotations,
                owner=f.optional_scalar(spec, "owner", f"{where}.spec"),
                type=f.optional_scalar(spec, "type", f"{where}.spec"),
                system=f.optional_scalar(spec, "system", f"{where}.spec"),
                depends_on=deps,
                email=f.optional_scalar(profile, "email", f"{where}.spec.profile"),
            )
        )
    return Catalog(entities=tuple(entities))


def _check_number(f: Fields, raw: str, where: str) -> None:
    """Impact figures are multiplied and printed: "inf" or "nan" would turn into
    `Infinity` in the JSON output (not valid JSON) and a meaningless cost."""
    try:
        value = float(raw)
    except ValueError:
        raise f.fail(where, f"expected a number, got {raw[:40]!r}") from None
    if not math.isfinite(value):
        raise f.fail(where, f"expected a finite number, got {raw[:40]!r}")
