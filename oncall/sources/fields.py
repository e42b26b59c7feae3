"""Typed access to decoded JSON/YAML that fails with the file and field path.

Wire formats come from many systems; a wrong type deep inside a file must name the
exact place (`alerts.json: [3].labels.alertname`) instead of raising a KeyError.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from oncall.errors import InputError


class Fields:
    """Reads values out of one decoded file, remembering where they came from."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> InputError:
        return InputError(self.path, message, field=where or None)

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {_type_name(value)}")
        return value

    def sequence(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_type_name(value)}")
        return value

    def get_mapping(self, obj: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = obj.get(key)
        if value is None:
            return {}
        return self.mapping(value, _join(where, key))

    def get_list(self, obj: dict[str, Any], key: str, where: str) -> list[Any]:
        value = obj.get(key)
        if value is None:
            return []
        return self.sequence(value, _join(where, key))

    def text(self, obj: dict[str, Any], key: str, where: str, required: bool = True) -> str:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(_join(where, key), "is required")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(_join(where, key), f"expected a string, got {_type_name(value)}")
        return str(value)

    def string_map(self, obj: dict[str, Any], key: str, where: str) -> dict[str, str]:
        raw = self.get_mapping(obj, key, where)
        out: dict[str, str] = {}
        for k, v in raw.items():
            if isinstance(v, dict | list):
                raise self.fail(_join(_join(where, key), str(k)), "expected a string value")
            out[str(k)] = "" if v is None else str(v)
        return out

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool):
            raise self.fail(where, "expected a number, got a boolean")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self.fail(where, f"expected a number, got {value!r:.40}") from None

    def integer(self, value: Any, where: str) -> int:
        if isinstance(value, bool):
            raise self.fail(where, "expected an integer, got a boolean")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise self.fail(where, f"expected an integer, got {value!r:.40}")

    def timestamp(self, obj: dict[str, Any], key: str, where: str, required: bool = True
                  ) -> datetime | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(_join(where, key), "is required")
            return None
        return self.parse_time(value, _join(where, key))

    def parse_time(self, value: Any, where: str) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if not isinstance(value, str):
            raise self.fail(where, f"expected an RFC 3339 time, got {_type_name(value)}")
        parsed = parse_rfc3339(value)
        if parsed is None:
            raise self.fail(where, f"expected an RFC 3339 time, got {value!r:.40}")
        return parsed


def parse_rfc3339(value: str) -> datetime | None:
    """Parses RFC 3339 incl. `Z` and nanosecond fractions; returns UTC or None."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        for ch in rest:
            if ch.isdigit():
                digits += ch
            else:
                break
        text = head + "." + digits[:6].ljust(6, "0") + rest[len(digits):]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), type(value).__name__)
