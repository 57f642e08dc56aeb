"""`coderd context`: the repository context a completion at FILE:LINE:COL would get.

Counts tokens with the model's own tokenizer (a vocabulary-only load: no weights, fast), in
the model's own context format (prompt.py `context_format`: `<|file_sep|>` headers for a model
with repository tokens, else "# path" comments), and shows the whole prompt the engine would
send, laid out by the engine's own code (engine/fim.py `assemble`).
`--batch FILE.jsonl` builds the index once and answers many requests, one JSON line each:
`{"file", "line", "character", "text"?}` in, LSP-style 0-based line and UTF-16 character.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from coderd.context.pack.hint import NOTHING_SHOWN, BlockShown
from coderd.engine.fim import assemble, inspect_vocab
from coderd.engine.llama.model import LlamaModel
from coderd.models.loader import resolve_model_path
from coderd.positions import UTF16, LineIndex, PositionError
from coderd.prompt.builder import PromptBuilder, context_format

DESCRIPTION = (
    "Shows the repository context and the whole prompt a completion there would get. Budgets "
    "are the configured ones (completion.prefix_tokens, completion.suffix_tokens, "
    "context.budget_tokens or --budget, model.n_ctx), not measured here: the server may shrink "
    "them to fit completion.latency_target_ms at this machine's measured speed (its "
    "coderd/status request shows the budgets it uses; latency_target_ms = 0 keeps them)."
)


def add_arguments(parser) -> None:
    parser.description = DESCRIPTION
    parser.add_argument(
        "location", metavar="FILE:LINE:COL", nargs="?", help="1-based line and column (code points)"
    )
    parser.add_argument(
        "--workspace", type=Path, help="root (default: the git root, else the file's folder)"
    )
    parser.add_argument(
        "--budget", type=int, help="context token budget (default: context.budget_tokens)"
    )
    parser.add_argument(
        "--model", type=Path, help="GGUF whose tokenizer counts tokens (default: model.path)"
    )
    parser.add_argument("--batch", type=Path, help="JSON lines of {file, line, character, text?}")
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per request, with prompt_text: the whole prompt",
    )


def run(args) -> int:
    from coderd.cli.common import (
        INDEX_WAIT_S,
        offset_of,
        parse_location,
        settings_for_cli,
        workspace_of,
    )
    from coderd.context.index.registry import IndexRegistry
    from coderd.context.provider import ContextProvider

    if not args.location and not args.batch:
        raise SystemExit("coderd: give FILE:LINE:COL or --batch FILE.jsonl")
    settings = settings_for_cli(args.model).settings
    context_settings = replace(
        settings.context,
        enabled=True,
        budget_tokens=args.budget if args.budget is not None else settings.context.budget_tokens,
    )
    model_path = resolve_model_path(settings)
    model = LlamaModel(model_path, gpu_layers=0, vocab_only=True)
    vocab = inspect_vocab(model, model.meta("general.name") or model_path.stem)
    form = context_format(vocab.repo_tokens, model.tokenize)
    c = settings.completion
    builder = PromptBuilder(
        model.tokenize, prefix_tokens=c.prefix_tokens, suffix_tokens=c.suffix_tokens
    )
    requests = (
        _batch(args.batch) if args.batch else [_single(args.location, parse_location, offset_of)]
    )
    first = Path(requests[0]["file"])
    provider = ContextProvider(
        context_settings, [args.workspace or workspace_of(first)], IndexRegistry(watch=False)
    )  # one shot: nothing to follow
    index = provider.index_for(first)
    if index is not None:
        index.wait_ready(INDEX_WAIT_S)
    for request in requests:
        path = Path(request["file"]).resolve()
        text, offset = request["text"], request["offset"]
        parsed = provider.set_buffer(path, text)  # the request's text stands for the file
        if parsed is not None:
            parsed.result(timeout=INDEX_WAIT_S)
        packed = provider.context_for(
            path, text, offset, form.tokenize, repo_format=form.repo_format
        )
        context_ids = form.ids(packed) if packed is not None and packed.text else []
        if context_ids is None:  # what the server does too: no context rather than a forged token
            print(
                f"coderd: {path}: no repository context: a file holds a token stand-in",
                file=sys.stderr,
            )
            packed, context_ids = None, []
        # The members of the receiver before the cursor, above its line (pack/hint.py), but
        # those the block lists.
        shown = BlockShown.of(packed.text, packed.chunks) if packed else NOTHING_SHOWN
        hint = provider.receiver_hint(
            path, text, offset, model.tokenize, settings.context.receiver_tokens, shown
        )
        # A fresh prefix window, as for a document's first request (the server then keeps it).
        built = builder.build(
            str(path), text, offset, remember=False, hint=hint.ids if hint else ()
        )
        hint = hint if built.hinted else None
        layout, pieces = assemble(
            replace(built.prompt, context_ids=context_ids),
            fim_ids=vocab.fim_ids,
            bos=model.bos(),
            repo_tokens=vocab.repo_tokens,
            n_ctx=settings.model.n_ctx,
            max_tokens=c.max_tokens,
        )
        named = dict(pieces)
        result = {
            "file": str(path),
            "offset": offset,
            "context": packed.chunks if packed else [],
            "context_tokens": len(context_ids),
            "prefix_tokens": len(named["prefix"]),
            "suffix_tokens": len(named.get("suffix", ())),
            "receiver": {
                "text": hint.text if hint else "",
                "tokens": len(hint.ids) if hint else 0,
                "members": list(hint.chunks) if hint else [],
                "guessed": hint.guessed if hint else False,
            },
            # Markers and repository tokens as their own texts (never the stand-ins).
            "prompt_text": b"".join(model.piece(t, special=True) for t in layout.tokens).decode(
                "utf-8", "replace"
            ),
        }
        if args.json or args.batch:
            print(json.dumps(result, ensure_ascii=False))
        else:
            for chunk in result["context"]:
                print(
                    f"{chunk['path']}:{chunk['lines'][0]}-{chunk['lines'][1]}  {chunk['name']}  "
                    f"{chunk['source']}  {chunk['tokens']} tokens"
                )
            print(f"-- {result['context_tokens']} tokens --")
            print(form.shown(packed.text) if packed else "", end="")
            if hint:
                print(f"-- receiver hint, {len(hint.ids)} tokens, above the cursor's line --")
                print(hint.text, end="")
    provider.close()
    model.close()
    return 0


def _single(location, parse_location, offset_of) -> dict:
    path, line, col = parse_location(location)
    text = _read(path)
    return {"file": str(path), "text": text, "offset": offset_of(text, line, col)}


def _batch(path: Path) -> list[dict]:
    """Requests from JSON lines; `text` (optional) stands for the file's content."""
    requests = []
    for number, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"] if "text" in item else _read(Path(item["file"]))
            offset = LineIndex.of(text).offset(int(item["line"]), int(item["character"]), UTF16)
        except (ValueError, KeyError, TypeError, PositionError) as exc:
            raise SystemExit(f"coderd: {path}:{number}: {exc}") from exc
        requests.append({"file": item["file"], "text": text, "offset": offset})
    if not requests:
        raise SystemExit(f"coderd: {path} holds no requests")
    return requests


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"coderd: cannot read {path} as UTF-8 text: {exc}") from exc
