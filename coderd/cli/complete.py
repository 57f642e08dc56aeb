"""`coderd complete FILE:LINE:COL`: one completion through the same service the server uses."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from coderd.cli.common import (
    INDEX_WAIT_S,
    WORKER_EXIT_S,
    offset_of,
    parse_location,
    settings_for_cli,
    workspace_of,
)
from coderd.completion.service import CompletionService, DocumentSnapshot
from coderd.context.index.languages import lsp_language_id
from coderd.context.index.registry import IndexRegistry
from coderd.context.provider import ContextProvider
from coderd.engine.base import EngineError
from coderd.models.loader import load_engine
from coderd.policy.secrets import remote_secret_refusal

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    path, line, col = parse_location(args.location)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"coderd: cannot read {path} as UTF-8 text: {exc}") from exc
    loaded = settings_for_cli(args.model)
    refusal = remote_secret_refusal(str(path), loaded.settings)
    if refusal is not None:  # before the engine exists: nothing of the file is sent
        log.info("%s: %s", path, refusal)
        print(f"coderd: {refusal}", file=sys.stderr)
        return 1
    context = None
    if loaded.settings.context.enabled:
        context = ContextProvider(
            loaded.settings.context,
            [args.workspace or workspace_of(path)],
            IndexRegistry(watch=False),
        )  # one shot: nothing to follow
        index = context.index_for(path)
        if index is not None and not index.wait_ready(INDEX_WAIT_S):  # one shot: let it finish
            print(
                f"coderd: the workspace index is still building after {INDEX_WAIT_S} s; "
                "completing with what it has",
                file=sys.stderr,
            )
    service = CompletionService(loaded.settings, load_engine, context)
    service.start()
    try:
        info = service.model_ready.result()
    except EngineError as exc:
        print(f"coderd: {exc}", file=sys.stderr)
        return 1
    for warning in info.warnings:
        print(f"coderd: warning: {warning}", file=sys.stderr)
    snapshot = DocumentSnapshot(
        str(path.resolve()),
        text,
        offset_of(text, line, col),
        lsp_language_id(path.name),
        path=str(path.resolve()),
    )
    outcome = service.submit(snapshot).future.result()
    service.shutdown()
    # The worker closes the model: exiting while it still ran llama.cpp (speculation on the
    # answer) crashed the process at exit, now and then (SIGSEGV after the output).
    service.join(WORKER_EXIT_S)
    if outcome.status != "ok":
        print(f"coderd: {outcome.status}: {outcome.message}", file=sys.stderr)
        return 1
    if not args.json:
        print(outcome.text)
        return 0
    print(
        json.dumps(
            {
                "completion": outcome.text,
                "mode": outcome.mode,
                "model": {
                    "name": info.name,
                    "path": info.path,
                    "fim_ids": info.fim_ids,
                    "prefix_only": info.prefix_only,
                    "n_ctx": info.n_ctx,
                },
                "prompt": {
                    "context": list(outcome.context_chunks),
                    "context_text": outcome.context_text,
                    "receiver_text": outcome.hint_text,
                    "prefix_text": outcome.prefix_text,
                    "suffix_text": outcome.suffix_text,
                    "pieces": [{"name": name, "ids": list(ids)} for name, ids in outcome.pieces],
                },
                "stats": outcome.stats.as_dict() if outcome.stats else None,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0
