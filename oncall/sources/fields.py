"""Typed access to decoded JSON/YAML that fails with the file and field path.

Wire formats come from many systems; a wrong type deep inside a file must name the
exact place (`alerts.json: [3].labels.alertname`) instead of raising a KeyError.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from oncall.errors import InputError

# Every wire format here stores integers as int64 (Jaeger, Loki) or uint64 (OTLP nanos);
# anything outside cannot be a real value, and unbounded ints overflow float maths later.
INT_MIN, INT_MAX = -(2**63), 2**64 - 1
_INT_TEXT = re.compile(r"-?[0-9]{1,20}")
# C0/C1 controls (ESC starts terminal escape sequences), bidi overrides and isolates
# (they reorder what a reader sees), line/paragraph separators and lone surrogates
# (they cannot be encoded for a terminal).
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


class Fields:
    """Reads values out of one decoded file, remembering where they came from."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> InputError:
        """The error names the field with the input's own keys, so escape what a key may
        carry (escape sequences, lone surrogates) before it reaches a terminal."""
        return InputError(self.path, printable(message), field=printable(where) or None)

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

    def scalar_list(self, obj: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        """A list of plain values as strings; nulls are skipped, nested values refused
        (a nested list is a wrong type, and via YAML aliases it can be huge)."""
        out: list[str] = []
        for i, item in enumerate(self.get_list(obj, key, where)):
            if item is None:
                continue
            if isinstance(item, dict | list):
                raise self.fail(f"{_join(where, key)}[{i}]",
                                f"expected a string, got {_type_name(item)}")
            out.append(str(item))
        return tuple(out)

    def optional_scalar(self, obj: dict[str, Any], key: str, where: str) -> str | None:
        """A plain value as a string, or None when absent or empty."""
        value = obj.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, dict | list):
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
        if isinstance(value, dict | list):
            raise self.fail(where, f"expected a number, got {_type_name(value)}")
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):
            raise self.fail(where, f"expected a number, got {_preview(value)}") from None

    def integer(self, value: Any, where: str) -> int:
        """An int64/uint64 as a JSON number or a decimal string (how Loki and OTLP send
        them); other digits (`²`, `٣`) and values no wire format can hold are refused."""
        if isinstance(value, bool):
            raise self.fail(where, "expected an integer, got a boolean")
        number: int | None = None
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
            number = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        if number is None:
            raise self.fail(where, f"expected an integer, got {_preview(value)}")
        if not INT_MIN <= number <= INT_MAX:
            raise self.fail(where, "is out of range for a 64-bit integer")
        return number

    def timestamp(self, obj: dict[str, Any], key: str, where: str, required: bool = True
                  ) -> datetime | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(_join(where, key), "is required")
            return None
        return self.parse_time(value, _join(where, key))

    def parse_time(self, value: Any, where: str) -> datetime:
        """YAML hands over datetimes already parsed, possibly with an offset: every time
        leaves here in UTC, because the output stamps times with `Z`."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=UTC)
            try:
                return value.astimezone(UTC)
            except OverflowError:
                raise self.fail(where, "is out of range in UTC") from None
        if not isinstance(value, str):
            raise self.fail(where, f"expected an RFC 3339 time, got {_type_name(value)}")
        parsed = parse_rfc3339(value)
        if parsed is None:
            raise self.fail(where, f"expected an RFC 3339 time, got {_preview(value)}")
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
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31T23:30:00-01:00
        return None


def printable(text: str) -> str:
    """`text` with control, bidi-override and surrogate characters shown as escapes.

    Input strings end up in one-line error messages and on terminals; an escape
    sequence or a right-to-left override in a label must be seen, not obeyed.
    """
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _preview(value: Any) -> str:
    """A short repr for error messages that never renders a whole nested value."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "an out-of-range number"  # repr of a huge int is slow, or refused
    if isinstance(value, str | int | float | bool) or value is None:
        text = repr(value) if not isinstance(value, str) else repr(value[:40])
        return text[:48]
    return _type_name(value)


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
