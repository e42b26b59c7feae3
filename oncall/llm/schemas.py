"""The shapes a model must answer in, checked before anything it says is used.

A model's output is untrusted input like any other: it is parsed as JSON, validated
against these pydantic models (unknown keys refused, lengths bounded, actions only from
the vocabulary), and only then handed to the code that checks its citations. The JSON
schema of each model is put into the prompt, so the model is told what is checked.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oncall.model import ACTIONS

M = TypeVar("M", bound=BaseModel)
_CODE_FENCE = re.compile(r"\A\s*```(?:json)?\s*\n(.*?)\n\s*```\s*\Z", re.DOTALL)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NarrativeOut(_Strict):
    narrative: str = Field(min_length=1, max_length=3000)
    stakeholder_update: str = Field(min_length=1, max_length=2000)


class RankedCause(_Strict):
    id: str = Field(min_length=1, max_length=40)
    reason: str = Field(default="", max_length=600)


class SuggestedActionOut(_Strict):
    action: str = Field(json_schema_extra={"enum": list(ACTIONS)})
    target: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=600)

    @field_validator("action")
    @classmethod
    def _in_vocabulary(cls, value: str) -> str:
        if value not in ACTIONS:
            raise ValueError(f"{value[:60]!r} is not in the action vocabulary")
        return value


class RerankOut(_Strict):
    ranking: list[RankedCause] = Field(min_length=1, max_length=20)
    actions: list[SuggestedActionOut] = Field(default_factory=list, max_length=3)


class AskOut(_Strict):
    answer: str = Field(min_length=1, max_length=4000)
    known: bool


def schema_text(model: type[BaseModel]) -> str:
    """The JSON schema a prompt shows the model (compact, stable key order)."""
    return json.dumps(model.model_json_schema(), sort_keys=True)


def parse(text: str, model: type[M]) -> tuple[M | None, str]:
    """(the validated object, "") or (None, why it was refused), never an exception.

    A Markdown code fence around the JSON is tolerated: small models add one often."""
    fenced = _CODE_FENCE.match(text)
    body = fenced.group(1) if fenced else text.strip()
    try:
        data: Any = json.loads(body)
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"not JSON ({exc.__class__.__name__}: {str(exc)[:80]})"
    try:
        return model.model_validate(data), ""
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(top)"
        return None, f"schema: {where}: {first.get('msg', 'invalid')}"[:200]
