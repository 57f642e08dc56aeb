"""One setting's field: its metadata (`setting`), its spec (`FieldSpec`), and the checks and
renderings every key shares: validation by type and bounds (`check_value`), parsing an
environment string (`parse_env_text`), TOML and JSON text of a value. The tree of sections
that uses them is schema.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "CODERD_"


def setting(
    default: Any,
    doc: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[str, ...] | None = None,
    rejected: Mapping[Any, str] | None = None,
) -> Any:
    """A dataclass field whose metadata documents and bounds one setting.

    `default` must be immutable (the dataclasses are frozen and shared). `rejected`
    maps particular values to the reason they are refused; it is checked before the
    bounds so that the user reads the reason, not just a range.
    """
    metadata = {
        "doc": doc,
        "minimum": minimum,
        "maximum": maximum,
        "choices": choices,
        "rejected": dict(rejected or {}),
    }
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class FieldSpec:
    """Everything the loader and validator need to know about one key."""

    section: str
    key: str
    type: Any  # int, float, bool, str or tuple[str, ...]
    default: Any
    doc: str
    minimum: float | None
    maximum: float | None
    choices: tuple[str, ...] | None
    rejected: Mapping[Any, str]

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.key}"

    @property
    def env_var(self) -> str:
        return f"{ENV_PREFIX}{self.section}_{self.key}".upper()


def describe_value(value: Any) -> str:
    """A value as the user would write it in TOML or JSON: "lots", 2.5, true, ["a"]."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _type_error(expected: type) -> str:
    return {
        bool: "expected true or false",
        int: "expected an integer",
        float: "expected a number",
        str: "expected a string",
    }.get(expected, "expected a list of strings")


def check_value(spec: FieldSpec, value: Any) -> tuple[Any, str | None]:
    """Validate `value` for `spec`: (the value to store, None) or (None, what is wrong).

    Type rules: bool is never an int (True == 1 in Python, not in TOML); a float is
    not accepted for an int field (2.5 tokens has no meaning, and silently rounding
    hides typos); an int is accepted for a float field; lists become tuples.
    """
    expected = spec.type
    if expected is bool:
        ok = isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif expected is str:
        ok = isinstance(value, str)
    else:  # tuple[str, ...]
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    if not ok:
        return None, f"{_type_error(expected)}, got {describe_value(value)}"
    if value in spec.rejected and not isinstance(value, bool):
        return None, f"{describe_value(value)} is not allowed: {spec.rejected[value]}"
    if spec.choices is not None:
        # Case-insensitive because CODERD_LOG_LEVEL=DEBUG is what people type.
        if value.lower() not in spec.choices:
            allowed = ", ".join(spec.choices)
            return None, f"expected one of {allowed}, got {describe_value(value)}"
        value = value.lower()
    too_small = spec.minimum is not None and value < spec.minimum
    too_large = spec.maximum is not None and value > spec.maximum
    if too_small or too_large:
        return None, f"expected {bounds_text(spec)}, got {describe_value(value)}"
    return value, None


def bounds_text(spec: FieldSpec) -> str:
    if spec.minimum is not None and spec.maximum is not None:
        return f"{spec.minimum} to {spec.maximum}"
    if spec.minimum is not None:
        return f"at least {spec.minimum}"
    return f"at most {spec.maximum}"


_TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
_FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def parse_env_text(spec: FieldSpec, text: str) -> tuple[Any, str | None]:
    """Turn an environment string into a value of the key's type (bounds are checked later)."""
    stripped = text.strip()
    try:
        if spec.type is bool:
            if stripped.lower() in _TRUE_WORDS | _FALSE_WORDS:
                return stripped.lower() in _TRUE_WORDS, None
            return None, f"expected true/false/1/0/yes/no/on/off, got {describe_value(text)}"
        if spec.type is int:
            return int(stripped), None
        if spec.type is float:
            return float(stripped), None
    except ValueError:
        kind = "an integer" if spec.type is int else "a number"
        return None, f"expected {kind}, got {describe_value(text)}"
    if spec.type is str:
        return text, None
    return tuple(item.strip() for item in text.split(",") if item.strip()), None


def toml_value(value: Any) -> str:
    """Render a setting's value as TOML (JSON string escapes are valid TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(toml_value(item) for item in value) + "]"
