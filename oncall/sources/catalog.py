"""Backstage catalog entities (several YAML documents in one file)."""

from __future__ import annotations

from typing import Any

from oncall.model import Catalog, CatalogEntity
from oncall.sources.fields import Fields


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
        deps = tuple(
            str(d) for d in f.get_list(spec, "dependsOn", f"{where}.spec") if d is not None
        )
        profile = spec.get("profile") if isinstance(spec.get("profile"), dict) else {}
        entities.append(
            CatalogEntity(
                kind=kind,
                name=name,
                annotations=annotations,
                owner=_opt(spec.get("owner")),
                type=_opt(spec.get("type")),
                system=_opt(spec.get("system")),
                depends_on=deps,
                email=_opt(profile.get("email")) if isinstance(profile, dict) else None,
            )
        )
    return Catalog(entities=tuple(entities))


def _opt(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
