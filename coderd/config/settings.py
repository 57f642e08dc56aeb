"""Load coderd's settings from every source into one validated `Settings` tree.

Sources, lowest precedence first; a later source overrides a key an earlier one set:

1. built-in defaults (documented in `coderd.config.schema`; `specs.default_config_toml()`
   renders them as a commented file);
2. the TOML config file, `paths.config_file()`: $CODERD_CONFIG, else
   $XDG_CONFIG_HOME/coderd/config.toml;
3. the LSP client's `initializationOptions`, a nested object with the same
   section and key names, e.g. {"completion": {"max_tokens": 32}};
4. environment variables CODERD_<SECTION>_<KEY>, e.g. CODERD_MODEL_PATH,
   CODERD_COMPLETION_MAX_TOKENS, CODERD_LOG_LEVEL. They come last because they are
   what a user sets for one launch, to debug or to override what an editor sends.
   Values are parsed by the key's type: integers, true/false/1/0/yes/no/on/off,
   strings as-is, lists as comma-separated items (whitespace around items trimmed,
   empty items dropped; stop strings containing commas belong in the file). An
   empty variable counts as unset, as XDG_* variables do.

Bad input never raises. Each problem becomes a `ConfigProblem`, the bad value is
dropped and the key keeps the value from the lower source. A TOML syntax error or an
unreadable file drops the whole file; a missing file is normal and not a problem.
Line numbers for bad values in a valid file come from scanning the text for
`[section]` headers and `key =` lines (toml_lines.py).
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from coderd.config.fields import ENV_PREFIX, FieldSpec, check_value, describe_value, parse_env_text
from coderd.config.schema import (
    CompletionSettings,
    ContextSettings,
    LogSettings,
    ModelSettings,
    Settings,
)
from coderd.config.specs import default_config_toml, field_specs, section_classes, settings_as_dict
from coderd.config.toml_lines import KeyLines, describe_toml_error
from coderd.system import paths

__all__ = [
    "CompletionSettings",
    "ConfigProblem",
    "ContextSettings",
    "LoadedSettings",
    "LogSettings",
    "ModelSettings",
    "Settings",
    "default_config_toml",
    "load_settings",
    "settings_as_dict",
]

DEFAULT_SOURCE = "default"
INIT_OPTIONS_SOURCE = "initializationOptions"
FIT_SOURCE = "settings"
# Positions the prompt needs beyond the prefix, suffix and generated tokens: the FIM
# control tokens (BOS, prefix, suffix and middle markers) with some slack.
FIM_TOKEN_RESERVE = 8


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the user's settings; the loader carried on without it."""

    source: str  # file path, "initializationOptions", an env var name, or "settings"
    key: str  # dotted key ("completion.max_tokens"), a section name, or "" for the whole source
    line: int | None  # 1-based line in the config file, when known
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


@dataclass(frozen=True)
class LoadedSettings:
    """The merged settings, what was wrong on the way, and where each value came from."""

    settings: Settings
    problems: tuple[ConfigProblem, ...]
    config_path: Path  # the file that was (or would have been) read
    origins: Mapping[str, str] = field(default_factory=dict)  # dotted key -> source label


def load_settings(
    *,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    init_options: Mapping[str, Any] | None = None,
) -> LoadedSettings:
    """Merge defaults < config file < init_options < environment; never raises for bad input.

    `environ` defaults to os.environ and also supplies CODERD_CONFIG when
    `config_path` is not given.
    """
    environ = os.environ if environ is None else environ
    config_path = paths.config_file(environ) if config_path is None else Path(config_path)
    merger = _Merger()
    _apply_config_file(merger, config_path)
    _apply_init_options(merger, init_options)
    _apply_environ(merger, environ)
    _fit_context_budget(merger)
    return LoadedSettings(
        settings=merger.build(),
        problems=tuple(merger.problems),
        config_path=config_path,
        origins=dict(merger.origins),
    )


class _Merger:
    """The settings being assembled: current values, who set them, and the problems."""

    def __init__(self) -> None:
        self.specs = field_specs()
        self.values = {s.dotted: s.default for keys in self.specs.values() for s in keys.values()}
        self.origins = {dotted: DEFAULT_SOURCE for dotted in self.values}
        self.problems: list[ConfigProblem] = []

    def report(self, source: str, key: str, message: str, line: int | None = None) -> None:
        self.problems.append(ConfigProblem(source, key, line, message))

    def kept(self, spec: FieldSpec) -> str:
        """What the key stays at after a bad value, for the end of a problem message."""
        value = describe_value(self.values[spec.dotted])
        origin = self.origins[spec.dotted]
        if origin == DEFAULT_SOURCE:
            return f"using the default {value}"
        return f"keeping {value} from {origin}"

    def apply(self, source: str, spec: FieldSpec, raw: Any, line: int | None = None) -> None:
        value, error = check_value(spec, raw)
        if error is not None:
            self.report(source, spec.dotted, f"{error} ({self.kept(spec)})", line)
            return
        self.values[spec.dotted] = value
        self.origins[spec.dotted] = source

    def apply_tree(
        self, source: str, tree: Mapping[str, Any], lines: KeyLines | None = None
    ) -> None:
        """Apply a {section: {key: value}} mapping (a parsed file or initializationOptions)."""
        line_of = lines.line_of if lines is not None else (lambda *_: None)
        for section, table in tree.items():
            section = str(section)
            if section not in self.specs:
                hint = self.did_you_mean(section)
                self.report(source, section, f"unknown section{hint}", line_of(section, None))
            elif not isinstance(table, Mapping):
                message = f"expected a table of {section} settings, got {describe_value(table)}"
                self.report(source, section, message + "; ignored", line_of(section, None))
            else:
                for key, raw in table.items():
                    spec = self.specs[section].get(str(key))
                    if spec is None:
                        dotted = f"{section}.{key}"
                        line = line_of(section, str(key))
                        self.report(source, dotted, f"unknown key{self.did_you_mean(dotted)}", line)
                    else:
                        self.apply(source, spec, raw, line_of(section, spec.key))

    def did_you_mean(self, name: str) -> str:
        """'; did you mean X?' for the closest section or dotted key, or ''."""
        candidates = list(self.specs) + list(self.values)
        matches = difflib.get_close_matches(name, candidates, n=1)
        if not matches:  # a key in the wrong place: max_tokens at top level, model.max_tokens
            bare = name.rsplit(".", 1)[-1]
            matches = [dotted for dotted in self.values if dotted.endswith("." + bare)]
        return f"; did you mean {matches[0]}?" if matches else ""

    def build(self) -> Settings:
        sections = {
            name: cls(**{key: self.values[f"{name}.{key}"] for key in self.specs[name]})
            for name, cls in section_classes().items()
        }
        return Settings(**sections)


def _apply_config_file(merger: _Merger, path: Path) -> None:
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: editors on Windows add a BOM
    except FileNotFoundError:
        return  # no file is the normal first-run state
    except UnicodeDecodeError as exc:
        merger.report(source, "", f"not UTF-8 text (byte {exc.start}); the whole file was ignored")
        return
    except OSError as exc:
        reason = exc.strerror or str(exc)
        merger.report(source, "", f"cannot read: {reason}; the whole file was ignored")
        return
    try:
        tree = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line = describe_toml_error(exc)
        merger.report(source, "", f"invalid TOML: {message}; the whole file was ignored", line)
        return
    merger.apply_tree(source, tree, KeyLines(text))


# Whether code may leave the machine is the user's decision, not a workspace's.
MACHINE_ONLY_SECTIONS = frozenset({"remote", "network"})


def _apply_init_options(merger: _Merger, options: Any) -> None:
    if options is None:
        return  # clients send null when the user configured nothing
    if not isinstance(options, Mapping):
        example = '{"completion": {"max_tokens": 32}}'
        message = f"expected an object like {example}, got {describe_value(options)}; ignored"
        merger.report(INIT_OPTIONS_SOURCE, "", message)
        return
    for section in MACHINE_ONLY_SECTIONS & set(options):
        # A workspace's editor settings must not be able to send its code off the machine.
        merger.report(
            INIT_OPTIONS_SOURCE,
            section,
            f"[{section}] is read only from config.toml and CODERD_{section.upper()}_* "
            "variables, never from the editor (a project's settings must not send your "
            "code elsewhere); ignored",
        )
    merger.apply_tree(
        INIT_OPTIONS_SOURCE, {k: v for k, v in options.items() if k not in MACHINE_ONLY_SECTIONS}
    )


def _apply_environ(merger: _Merger, environ: Mapping[str, str]) -> None:
    specs_by_var = {s.env_var: s for keys in merger.specs.values() for s in keys.values()}
    # Only names under a section's prefix are ours to judge; CODERD_CONFIG and any
    # other CODERD_* variable belong to other parts of coderd.
    section_prefixes = tuple(f"{ENV_PREFIX}{section}_".upper() for section in merger.specs)
    for name in sorted(environ):
        text = environ[name]
        if not name.startswith(section_prefixes) or text == "":
            continue
        spec = specs_by_var.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(specs_by_var), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            merger.report(name, "", f"unknown setting{hint}")
            continue
        value, error = parse_env_text(spec, text)
        if error is not None:
            merger.report(name, spec.dotted, f"{error} ({merger.kept(spec)})")
        else:
            merger.apply(name, spec, value)


def _fit_context_budget(merger: _Merger) -> None:
    """Keep prefix + suffix + generated tokens + FIM reserve within model.n_ctx.

    Shrinks completion.prefix_tokens first (the documented behaviour); only when the
    prefix is down to its minimum does it shrink suffix_tokens, then max_tokens, so
    that the result always fits (n_ctx >= 256 leaves room for the minimums).
    """
    n_ctx = merger.values["model.n_ctx"]
    completion = merger.specs["completion"]
    specs = [completion[key] for key in ("prefix_tokens", "suffix_tokens", "max_tokens")]
    before = {spec.key: merger.values[spec.dotted] for spec in specs}
    needed = sum(before.values()) + FIM_TOKEN_RESERVE
    excess = needed - n_ctx
    if excess <= 0:
        return
    for spec in specs:
        cut = min(excess, merger.values[spec.dotted] - int(spec.minimum or 0))
        if cut > 0:
            merger.values[spec.dotted] -= cut
            merger.origins[spec.dotted] = "fitted to model.n_ctx"
            excess -= cut
    terms = " + ".join(f"{key} ({value})" for key, value in before.items())
    changes = ", ".join(
        f"{s.key} = {merger.values[s.dotted]}"
        for s in specs
        if merger.values[s.dotted] != before[s.key]
    )
    message = f"{terms} + {FIM_TOKEN_RESERVE} reserved = {needed} exceeds model.n_ctx ({n_ctx})"
    # The problem's key names the section, so the message can use the short key names.
    merger.report(FIT_SOURCE, specs[0].dotted, f"{message}; using {changes}")
