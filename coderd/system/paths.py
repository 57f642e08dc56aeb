"""Where coderd keeps its files, following the XDG Base Directory specification.

Every function reads the environment when it is called, not when this module is
imported, so tests (and a user launching with different XDG_* variables) see the
locations they set. Nothing is created here except by `ensure_dir`, which callers
use right before they write.

    config_file()  $CODERD_CONFIG, else $XDG_CONFIG_HOME/coderd/config.toml
    state_dir()    $XDG_STATE_HOME/coderd          (logs: state worth keeping, not config)
    log_file()     $XDG_STATE_HOME/coderd/coderd.log
    data_dir()     $XDG_DATA_HOME/coderd
    models_dir()   $XDG_DATA_HOME/coderd/models    (GGUF files: large, user-owned data)
    cache_dir()    $XDG_CACHE_HOME/coderd          (safe to delete at any time)
    runtime_dir()  $XDG_RUNTIME_DIR/coderd, or None where the session has no runtime dir

xdg_base_dirs ignores unset, empty and relative XDG_* values and uses the
specification's defaults (~/.config, ~/.local/state, ~/.local/share, ~/.cache).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from xdg_base_dirs import (
    xdg_cache_home,
    xdg_config_home,
    xdg_data_home,
    xdg_runtime_dir,
    xdg_state_home,
)

APP_NAME = "coderd"
CONFIG_ENV_VAR = "CODERD_CONFIG"

# The XDG specification asks for 0700 on directories it tells applications to create;
# logs and caches can hold snippets of the user's code.
PRIVATE_DIR_MODE = 0o700


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    """The TOML settings file: $CODERD_CONFIG when set and non-empty, else the XDG one.

    `environ` (default os.environ) is where CODERD_CONFIG is looked up, so that
    `config.load_settings(environ=...)` stays self-contained; XDG_CONFIG_HOME is
    always read from os.environ by xdg_base_dirs. A relative CODERD_CONFIG is
    taken relative to the current directory, as a user typing it would expect.
    """
    override = (os.environ if environ is None else environ).get(CONFIG_ENV_VAR, "")
    if override:
        return Path(override).expanduser()
    return xdg_config_home() / APP_NAME / "config.toml"


def state_dir() -> Path:
    """Directory for state that should survive restarts but is not configuration (logs)."""
    return xdg_state_home() / APP_NAME


def log_file() -> Path:
    """The rotating log file written by `coderd.system.logs.setup_logging`."""
    return state_dir() / "coderd.log"


def data_dir() -> Path:
    """Directory for user data that coderd manages (downloaded models)."""
    return xdg_data_home() / APP_NAME


def models_dir() -> Path:
    """Directory scanned for *.gguf files and where downloaded models are stored."""
    return data_dir() / "models"


def cache_dir() -> Path:
    """Directory for files that can be rebuilt at any time."""
    return xdg_cache_home() / APP_NAME


def runtime_dir() -> Path | None:
    """Per-session directory for sockets and locks, or None without $XDG_RUNTIME_DIR."""
    base = xdg_runtime_dir()
    return None if base is None else base / APP_NAME


def ensure_dir(path: Path) -> Path:
    """Create `path` and any missing parents with mode 0700; return `path`.

    Directories that already exist keep their permissions: a user who widened
    them did so on purpose. `os.makedirs(mode=...)` would only apply the mode to
    the last component, hence the explicit walk. Raises OSError when a directory
    cannot be created (callers decide how to degrade).
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a directory")
    return path
