"""The local model store: GGUF files under $XDG_DATA_HOME/coderd/models and manifest.json.

The manifest records what `pull` and `add` installed (copied into the folder, or referenced
where it lies with `add --link`) and the default that `coderd models use` chose. The default
lives here, not in config.toml: config.toml is the user's hand-written file (we never rewrite
it), and an explicit model.path there still wins over the store's default.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from coderd.system import paths

MANIFEST = "manifest.json"
PARTIAL_DIR = ".partial"


class StoreError(LookupError):
    pass


@dataclass(frozen=True)
class Installed:
    key: str  # NAME:QUANT
    path: str  # absolute path of the GGUF
    linked: bool  # True: `add --link`, the file is the user's and is never deleted
    sha256: str | None  # verified by pull, or computed by add
    source: str  # "hf:REPO@COMMIT/FILE" or "local:ORIGINAL PATH"
    size_bytes: int
    added: str

    @property
    def name(self) -> str:
        return self.key.partition(":")[0]

    @property
    def exists(self) -> bool:
        return Path(self.path).is_file()


def models_dir() -> Path:
    return paths.models_dir()


def partial_dir() -> Path:
    return models_dir() / PARTIAL_DIR


def manifest_path() -> Path:
    return models_dir() / MANIFEST


def _read() -> dict:
    path = manifest_path()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {"version": 1, "default": None, "models": {}}
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"{path} is unreadable ({exc}); move it away and re-add your models"
        ) from None
    data.setdefault("models", {})
    data.setdefault("default", None)
    return data


def _write(data: dict) -> None:
    path = manifest_path()
    paths.ensure_dir(path.parent)
    tmp = path.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, path)


def installed() -> list[Installed]:
    return [Installed(key=k, **v) for k, v in sorted(_read()["models"].items())]


def default_key() -> str | None:
    return _read()["default"]


def record(item: Installed) -> None:
    data = _read()
    fields = asdict(item)
    fields.pop("key")
    data["models"][item.key] = fields
    _write(data)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def find(spec: str) -> Installed:
    """An installed model by NAME:QUANT, or by NAME when only one quantisation is installed."""
    items = installed()
    spec_l = spec.lower()
    exact = [i for i in items if i.key.lower() == spec_l]
    if exact:
        return exact[0]
    by_name = [i for i in items if i.name.lower() == spec_l]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise StoreError(
            f"{spec} is installed in several quantisations: "
            f"{', '.join(i.key for i in by_name)}; name one"
        )
    raise StoreError(
        f"{spec} is not installed (see `coderd models list`; "
        f"`coderd models pull {spec}` or `coderd models add FILE` installs it)"
    )


def set_default(item: Installed) -> None:
    data = _read()
    data["default"] = item.key
    _write(data)


def remove(item: Installed) -> bool:
    """Forget a model; delete its file unless it was linked. Returns True when a file was deleted."""
    data = _read()
    data["models"].pop(item.key, None)
    if data["default"] == item.key:
        data["default"] = None
    _write(data)
    path = Path(item.path)
    if not item.linked and path.parent == models_dir() and path.is_file():
        path.unlink()
        return True
    return False


def default_path() -> Path | None:
    """The GGUF chosen by `coderd models use`, when it is still there."""
    try:
        data = _read()
    except StoreError:
        return None
    key = data.get("default")
    entry = data["models"].get(key) if key else None
    if entry and Path(entry["path"]).is_file():
        return Path(entry["path"])
    return None
