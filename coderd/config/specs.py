"""The settings tree walked: each section's dataclass, each key's FieldSpec, the settings as
plain dicts, and the documented defaults rendered as a TOML file (`coderd config`)."""

from __future__ import annotations

import dataclasses
import textwrap
import typing
from typing import Any

from coderd.config.fields import FieldSpec, bounds_text, toml_value
from coderd.config.schema import Settings


def section_classes() -> dict[str, type]:
    """Section name -> its dataclass, in file order."""
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in dataclasses.fields(Settings)}


def field_specs() -> dict[str, dict[str, FieldSpec]]:
    """Section name -> key -> FieldSpec, in declaration order."""
    specs: dict[str, dict[str, FieldSpec]] = {}
    for section, cls in section_classes().items():
        hints = typing.get_type_hints(cls)
        specs[section] = {
            # metadata's keys are exactly FieldSpec's remaining fields (see `setting`)
            f.name: FieldSpec(section, f.name, hints[f.name], f.default, **f.metadata)
            for f in dataclasses.fields(cls)
        }
    return specs


def settings_as_dict(settings: Settings) -> dict[str, dict[str, Any]]:
    """Plain JSON-ready dicts ({"model": {"path": ...}, ...}); tuples become lists."""
    result: dict[str, dict[str, Any]] = {}
    for section_field in dataclasses.fields(settings):
        section = getattr(settings, section_field.name)
        result[section_field.name] = {
            f.name: list(value) if isinstance(value := getattr(section, f.name), tuple) else value
            for f in dataclasses.fields(section)
        }
    return result


def default_config_toml() -> str:
    """The default settings as a commented TOML file that parses back to the defaults."""
    lines = [
        "# coderd settings. Every key is optional; these are the built-in defaults.",
        "# File: $CODERD_CONFIG, else $XDG_CONFIG_HOME/coderd/config.toml.",
        "# Precedence, lowest first: defaults < this file < the editor's",
        "# initializationOptions < CODERD_<SECTION>_<KEY> environment variables.",
    ]
    for section, specs in field_specs().items():
        lines += ["", f"[{section}]"]
        for spec in specs.values():
            bounded = spec.minimum is not None or spec.maximum is not None
            limits = f"Range: {bounds_text(spec)}. " if bounded else ""
            paragraphs = [
                f"{spec.doc[0].upper()}{spec.doc[1:]}.",
                f"{limits}Environment: {spec.env_var}.",
            ]
            paragraphs += [
                f"{toml_value(value)} is refused: {reason}."
                for value, reason in spec.rejected.items()
            ]
            for paragraph in paragraphs:
                lines += textwrap.wrap(
                    paragraph,
                    88,
                    initial_indent="# ",
                    subsequent_indent="# ",
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            lines += [f"{spec.key} = {toml_value(spec.default)}", ""]
        lines.pop()  # no blank line before the next header's blank line
    return "\n".join(lines) + "\n"
