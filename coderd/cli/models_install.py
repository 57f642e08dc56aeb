"""`coderd models pull` and `coderd models add`: the two actions that install a GGUF."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

from coderd.cli.common import fail
from coderd.models import store
from coderd.models.catalog import STARTER_INSTALL, Catalog
from coderd.models.fit import GiB, MiB, Shape, plan
from coderd.system import paths

QUANT_RE = re.compile(r"(?i)(?:^|[.\-_])((?:i?q\d(?:_[a-z0-9]+)*)|f16|bf16|f32)(?=\.gguf$|$)")


def machine() -> tuple[int, bool]:
    """Memory available for a model, and whether llama.cpp can offload to a GPU here."""
    from coderd.engine.llama.runtime import supports_gpu_offload
    from coderd.system.hardware import available_memory_bytes

    return available_memory_bytes(), supports_gpu_offload()


def size_text(n: int) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB else f"{n / MiB:.0f} MiB"


# -- pull -----------------------------------------------------------------------------------


def do_pull(args, settings, catalog: Catalog) -> int:
    from coderd.models.pull import PullError, pull

    entry = catalog.find(args.model)
    if not entry.pullable:
        return fail(f"{entry.key} does not come from the hub: {STARTER_INSTALL}")
    try:
        existing = store.find(entry.key)
    except store.StoreError:
        existing = None
    if existing and existing.exists and not args.force:
        print(f"{entry.key} is already installed: {existing.path}")
        return 0
    available, gpu = machine()
    p = plan(
        Shape.of_entry(entry),
        n_ctx=settings.model.n_ctx,
        available=available,
        gpu_offload=gpu,
        kv_type=settings.model.kv_cache_type,
    )
    if not p.fits and not args.force:
        return fail(
            f"{entry.key} will not fit this machine: {p.message}. "
            "Pick a smaller model (`coderd models list`), or --force to download anyway"
        )
    try:
        result = pull(
            entry,
            settings_offline=settings.network.offline,
            progress=lambda m: print(m, file=sys.stderr),
        )
    except PullError as exc:
        return fail(f"pull {entry.key}: {exc}")
    print(f"installed {entry.key}: {result.path}")
    if result.verified_against == "none":
        print(
            "  warning: neither the catalogue nor the hub gave a sha256; the file was not verified"
        )
    else:
        print(f"  sha256 {result.sha256} (matches the {result.verified_against})")
    _default_if_first(entry.key, settings)
    return 0


def _default_if_first(key: str, settings) -> None:
    if store.default_key() is None:
        store.set_default(store.find(key))
        print(f"  {key} is now the default model")
    else:
        print(f"  `coderd models use {key}` makes it the default")
    if settings.model.path:
        print(f"  note: model.path = {settings.model.path} is set and wins over the default")


# -- add ------------------------------------------------------------------------------------


def _key_for(path: Path, name: str | None, catalog: Catalog) -> str:
    entry = catalog.by_file(path.name)
    if name:
        if ":" in name:
            return name
        quant = entry.quant if entry else _quant_of(path.name)
        return f"{name}:{quant}"
    if entry:
        return entry.key
    stem = path.name[:-5] if path.name.lower().endswith(".gguf") else path.stem
    quant = _quant_of(path.name)
    if quant != "local":
        stem = re.sub(rf"(?i)[.\-_]{re.escape(quant)}$", "", stem)
    return f"{stem.lower()}:{quant}"


def _quant_of(filename: str) -> str:
    match = QUANT_RE.search(filename)
    return match.group(1).upper() if match else "local"


def _copy(src: Path, dst: Path) -> str:
    """Copy to a temporary name beside dst and rename, hashing on the way; returns the sha256."""
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with src.open("rb") as fin, tmp.open("wb") as fout:
            for block in iter(lambda: fin.read(4 * 2**20), b""):
                digest.update(block)
                fout.write(block)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return digest.hexdigest()


def do_add(args, settings, catalog: Catalog) -> int:
    from coderd.models.validate import InvalidModel, validate

    src = args.file.expanduser().resolve()
    try:
        report = validate(src)
    except InvalidModel as exc:
        return fail(f"not added: {exc}")
    key = _key_for(src, args.name, catalog)
    models = paths.ensure_dir(store.models_dir())
    if args.link:
        target, digest = src, None
    else:
        target = models / src.name
        if target.exists() and target.resolve() != src:
            return fail(
                f"not added: {target} already exists; remove it (`coderd models rm`) or use --name"
            )
        if shutil_free(models) < src.stat().st_size:
            return fail(
                f"not added: not enough disk space in {models} for {size_text(src.stat().st_size)}"
            )
        digest = _copy(src, target) if target.resolve() != src else None
    store.record(
        store.Installed(
            key=key,
            path=str(target),
            linked=bool(args.link),
            sha256=digest,
            source=f"local:{src}",
            size_bytes=target.stat().st_size,
            added=store.now(),
        )
    )
    print(f"added {key}: {target}{' (linked, not copied)' if args.link else ''}")
    print(
        f"  {report.architecture}, {report.mode}, pre-tokenizer {report.pre_tokenizer}, "
        f"FIM ids {report.fim_ids}" + (f", KV cache: {report.kv_kind}" if report.kv_kind else "")
    )
    for warning in report.warnings:
        print(f"  warning: {warning}")
    _default_if_first(key, settings)
    return 0


def shutil_free(folder: Path) -> int:
    import shutil

    return shutil.disk_usage(folder).free
