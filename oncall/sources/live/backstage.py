"""Backstage catalog API: `GET /api/catalog/entities/by-query`, followed by cursor.

Entities come back as the same documents `catalog.yaml` holds, so the body is the list
of entities. Paging is bounded: a catalog larger than `MAX_PAGES` pages is cut (and
said), rather than holding a page open.
"""

from __future__ import annotations

from typing import Any

from oncall.sources.live.base import Fetched, Window
from oncall.sources.live.http import HttpConnector

PAGE_SIZE = 500
MAX_PAGES = 40
PATH = "/api/catalog/entities/by-query"


class BackstageConnector(HttpConnector):
    kind = "backstage"
    part = "catalog"

    def fetch(self, window: Window) -> Fetched:
        params: dict[str, Any] = {
            "filter": [f"kind={k.lower()}" for k in self.config.kinds],
            "limit": str(PAGE_SIZE),
        }
        entities: list[Any] = []
        for _ in range(MAX_PAGES):
            body = self.fetcher.get_json(PATH, params=params)
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise self.fetcher.unavailable(f"{PATH} answer has no 'items' list")
            entities.extend(items)
            page = body.get("pageInfo")
            cursor = page.get("nextCursor") if isinstance(page, dict) else None
            if not cursor or not items:
                return Fetched(entities)
            params = {"cursor": str(cursor), "limit": str(PAGE_SIZE)}
        return Fetched(entities, [f"catalog cut at {len(entities)} entities "
                                  f"({MAX_PAGES} pages)"])

    def probe(self) -> str:
        body = self.fetcher.get_json(PATH, params={"limit": "1"})
        total = body.get("totalItems") if isinstance(body, dict) else None
        if not isinstance(body, dict) or "items" not in body:
            raise self.fetcher.unavailable(f"{PATH} answer has no 'items' list")
        return f"Backstage catalog, {total if isinstance(total, int) else '?'} entities"
