"""`coderd doctor`: what this llama.cpp build can do, which model would load, and the settings."""

from __future__ import annotations

import json
import sys

from coderd import __version__
from coderd.cli.doctor_remote import backend_report, remote_ok, render_backend
from coderd.config.settings import settings_as_dict
from coderd.engine.base import EngineError
from coderd.engine.fim import inspect_vocab
from coderd.engine.llama.engine import check_gguf_file
from coderd.engine.llama.model import LlamaModel
from coderd.engine.llama.runtime import supports_gpu_offload, system_info
from coderd.models.loader import fix_hint, resolve_model_path
from coderd.system import paths
from coderd.system.hardware import available_memory_bytes, physical_cores, resolve_threads


def check_model(settings) -> dict:
    """Validate the model the server would load: header, vocabulary, FIM markers (fast: no weights)."""
    try:
        path = resolve_model_path(settings)
        check_gguf_file(path)
        model = LlamaModel(path, gpu_layers=0, vocab_only=True)
    except (EngineError, ValueError, OSError) as exc:
        return {"ok": False, "error": str(exc), "fix": fix_hint()}
    try:
        name = model.meta("general.name") or path.stem
        report = inspect_vocab(model, name)
        architecture = model.meta("general.architecture")
        # A vocabulary-only load leaves the hyperparameters unset: read the header instead.
        trained = model.meta(f"{architecture}.context_length") if architecture else None
        return {
            "ok": True,
            "path": str(path),
            "name": name,
            "size_mb": round(path.stat().st_size / 2**20, 1),
            "architecture": architecture,
            "pre_tokenizer": report.pre_tokenizer,
            "fim_ids": report.fim_ids,
            "mode": "prefix-only" if report.fim_ids is None else "fill-in-the-middle",
            "context_train": int(trained) if trained and trained.isdigit() else None,
            "warnings": list(report.warnings),
        }
    finally:
        model.close()


def collect(args) -> dict:
    from coderd.cli.common import settings_for_cli

    loaded = settings_for_cli(args.model)
    settings = loaded.settings
    return {
        "coderd": __version__,
        "python": sys.version.split()[0],
        "llama_cpp": {
            "package": _llama_cpp_version(),
            "system_info": system_info(),
            "gpu_offload": supports_gpu_offload(),
        },
        "machine": {
            "physical_cores": physical_cores(),
            "threads_used": resolve_threads(settings.model.threads),
            "available_memory_gb": round(available_memory_bytes() / 2**30, 1),
        },
        "paths": {
            "config_file": str(loaded.config_path),
            "config_exists": loaded.config_path.exists(),
            "log_file": str(paths.log_file()),
            "models_dir": str(paths.models_dir()),
            "cache_dir": str(paths.cache_dir()),
        },
        "config_problems": [str(p) for p in loaded.problems],
        "settings": shown_settings(settings),
        "model": check_model(settings),
        "backend": backend_report(settings),
        **models_report(settings),
    }


def shown_settings(settings) -> dict:
    """The settings as data; a remote.api_key_env that is no variable name may be a pasted key."""
    from coderd.engine.remote.errors import HIDDEN, key_env_problem

    shown = settings_as_dict(settings)
    if key_env_problem(settings.remote.api_key_env):
        shown["remote"]["api_key_env"] = HIDDEN
    return shown


# -- models issue: build features, the fit of the configured model, the recommendation ---------


def models_report(settings) -> dict:
    from coderd.engine.llama.kv_plan import prompt_chunk
    from coderd.models.catalog import CatalogError, load_catalog
    from coderd.models.fit import Shape, kv_bytes, plan, recommend
    from coderd.models.gguf_meta import GGUFError, read_header
    from coderd.models.store import default_key
    from coderd.system.hardware import build_features

    gpu = supports_gpu_offload()
    available = available_memory_bytes()
    out: dict = {"build": build_features(system_info(), gpu)}
    try:
        path = resolve_model_path(settings)
        shape = Shape.of_header(read_header(path))
        p = plan(
            shape,
            n_ctx=settings.model.n_ctx,
            available=available,
            gpu_offload=gpu,
            threads=settings.model.threads,
            gpu_layers=settings.model.gpu_layers,
            kv_type=settings.model.kv_cache_type,
        )
        out["fit"] = {
            "fits": p.fits,
            "n_ctx": p.n_ctx,
            "kv_type": p.kv_type,
            "gpu_layers": p.gpu_layers,
            "threads": p.threads,
            "need_gb": round(p.need_bytes / 2**30, 2),
            "prompt_chunk": prompt_chunk(
                settings.model.prompt_chunk, p.gpu_layers, min(settings.model.batch, p.n_ctx)
            ),
            # 0 configured: the engine sizes it from the measured speed (speed_profile.py)
            "prompt_chunk_measured": settings.model.prompt_chunk == 0
            and settings.completion.latency_target_ms > 0,
            "kv_bytes_per_token": kv_bytes(shape.kv_bytes_per_token, p.kv_type),
            "kv_cache": None if shape.mla is None else ("mla" if shape.mla else "legacy"),
            "notes": list(p.notes),
        }
    except (EngineError, GGUFError, OSError):
        out["fit"] = None
    try:
        rec = recommend(load_catalog(), available=available, gpu_offload=gpu)
        from coderd.models.store import installed

        out["recommendation"] = {
            "model": rec.entry.key if rec.entry else None,
            "reason": rec.reason,
            "default": default_key(),
            "installed": rec.entry is not None and any(i.key == rec.entry.key for i in installed()),
        }
    except CatalogError as exc:
        out["recommendation"] = {
            "model": None,
            "reason": str(exc),
            "default": None,
            "installed": False,
        }
    return out


def render_models(report: dict) -> list[str]:
    b = report["build"]
    lines = [
        f"  CPU features: {' '.join(b['cpu_features']) or '?'}",
        f"  GPU backends: {', '.join(b['gpu_backends']) or 'none (CPU build)'}",
    ]
    fit = report.get("fit")
    if fit:
        kv = f", {fit['kv_cache']} deepseek2 KV cache" if fit["kv_cache"] else ""
        lines.append(
            f"  run plan: {'fits' if fit['fits'] else 'DOES NOT FIT'}; n_ctx {fit['n_ctx']}, "
            f"KV {fit['kv_type']} ({fit['kv_bytes_per_token']:,} bytes per position{kv}), "
            f"gpu_layers {fit['gpu_layers']}, threads {fit['threads']}, "
            f"prompt chunk {fit['prompt_chunk']}"
            f"{' until the speed is measured' if fit['prompt_chunk_measured'] else ''}, "
            f"about {fit['need_gb']} GiB"
        )
        lines += [f"    {note}" for note in fit["notes"]]
    rec = report["recommendation"]
    if rec["model"]:
        lines.append(f"recommended model for this machine: {rec['model']} ({rec['reason']})")
        if not rec.get("installed"):
            lines.append(
                f"  coderd models pull {rec['model']}   (air-gapped: coderd models add FILE)"
            )
        elif rec["default"] != rec["model"]:
            lines.append(f"  installed; `coderd models use {rec['model']}` makes it the default")
    else:
        lines.append(f"recommended model for this machine: none ({rec['reason']})")
    return lines


def _llama_cpp_version() -> str:
    import llama_cpp

    return getattr(llama_cpp, "__version__", "?")


def run(args) -> int:
    report = collect(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(render(report))
    fit = report.get("fit")
    fits = fit is None or fit["fits"]
    remote = report["backend"]["remote"]
    if report["backend"]["in_use"] == "remote":  # the local model is then only the fallback
        return 0 if remote_ok(remote) and not report["config_problems"] else 1
    return 0 if report["model"]["ok"] and fits and not report["config_problems"] else 1


def render(report: dict) -> str:
    lines = [f"coderd {report['coderd']} (Python {report['python']})", ""]
    llama = report["llama_cpp"]
    lines += [
        f"llama-cpp-python {llama['package']}",
        f"  build: {llama['system_info']}",
        f"  GPU offload: {'yes' if llama['gpu_offload'] else 'no (CPU build; see README for Metal/CUDA)'}",
    ]
    m = report["machine"]
    lines += [
        f"machine: {m['physical_cores']} physical cores, {m['available_memory_gb']} GiB available; "
        f"using {m['threads_used']} threads"
    ]
    lines += render_models(report) + render_backend(report) + [""]
    p = report["paths"]
    lines += [
        f"config file: {p['config_file']} ({'found' if p['config_exists'] else 'absent: defaults'})",
        f"log file:    {p['log_file']}",
        f"models dir:  {p['models_dir']}",
    ]
    for problem in report["config_problems"]:
        lines.append(f"  config problem: {problem}")
    s = report["settings"]
    lines += [
        "",
        "settings: "
        + ", ".join(f"{sec}.{k}={v!r}" for sec, keys in s.items() for k, v in keys.items()),
    ]
    model = report["model"]
    lines.append("")
    if model["ok"]:
        lines += [
            f"model: OK {model['name']} ({model['architecture']}, {model['size_mb']} MB)",
            f"  path: {model['path']}",
            f"  mode: {model['mode']}; FIM ids (pre, suf, mid): {model['fim_ids']}; "
            f"pre-tokenizer: {model['pre_tokenizer']}; trained context: {model['context_train']}",
        ]
        lines += [f"  warning: {w}" for w in model["warnings"]]
    else:
        lines += [f"model: PROBLEM {model['error']}", f"  {model['fix']}"]
    return "\n".join(lines)
