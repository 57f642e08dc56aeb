"""`coderd context`: the repository context a completion at FILE:LINE:COL would get.

Counts tokens with the model's own tokenizer (a vocabulary-only load: no weights, fast).
`--batch FILE.jsonl` builds the index once and answers many requests, one JSON line each:
`{"file", "line", "character", "text"?}` in, LSP-style 0-based line and UTF-16 character.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .engine.llama_runtime import LlamaModel
from .positions import UTF16, LineIndex, PositionError
from .engine.loader import resolve_model_path


def add_arguments(parser) -> None:
    parser.add_argument("location", metavar="FILE:LINE:COL", nargs="?",
                        help="1-based line and column (code points)")
    parser.add_argument("--workspace", type=Path, help="root (default: the git root, else the file's folder)")
    parser.add_argument("--budget", type=int, help="token budget (default: context.budget_tokens)")
    parser.add_argument("--model", type=Path, help="GGUF whose tokenizer counts tokens (default: model.path)")
    parser.add_argument("--batch", type=Path, help="JSON lines of {file, line, character, text?}")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    from .cli import INDEX_WAIT_S, offset_of, parse_location, settings_for_cli, workspace_of
    from .context.provider import ContextProvider
    from .context.registry import IndexRegistry

    if not args.location and not args.batch:
        raise SystemExit("coderd: give FILE:LINE:COL or --batch FILE.jsonl")
    settings = settings_for_cli(args.model).settings
    context_settings = replace(settings.context, enabled=True,
                               budget_tokens=args.budget if args.budget is not None else settings.context.budget_tokens)
    model = LlamaModel(resolve_model_path(settings), gpu_layers=0, vocab_only=True)
    tokenize = model.tokenize
    requests = _batch(args.batch) if args.batch else [_single(args.location, parse_location, offset_of)]
    first = Path(requests[0]["file"])
    provider = ContextProvider(context_settings, [args.workspace or workspace_of(first)],
                               IndexRegistry(watch=False))  # one shot: nothing to follow
    index = provider.index_for(first)
    if index is not None:
        index.wait_ready(INDEX_WAIT_S)
    for request in requests:
        path = Path(request["file"]).resolve()
        text = request["text"]
        parsed = provider.set_buffer(path, text)  # the request's text stands for the file
        if parsed is not None:
            parsed.result(timeout=INDEX_WAIT_S)
        packed = provider.context_for(path, text, request["offset"], tokenize)
        result = {"file": str(path), "offset": request["offset"],
                  "context": packed.chunks if packed else [],
                  "context_tokens": len(tokenize(packed.text)) if packed else 0,
                  "prompt_text": (packed.text if packed else "") + text[: request["offset"]]}
        if args.json or args.batch:
            print(json.dumps(result, ensure_ascii=False))
        else:
            for chunk in result["context"]:
                print(f"{chunk['path']}:{chunk['lines'][0]}-{chunk['lines'][1]}  {chunk['name']}  "
                      f"{chunk['source']}  {chunk['tokens']} tokens")
            print(f"-- {result['context_tokens']} tokens --")
            print(packed.text if packed else "", end="")
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
            raise SystemExit(f"coderd: {path}:{number}: {exc}")
        requests.append({"file": item["file"], "text": text, "offset": offset})
    if not requests:
        raise SystemExit(f"coderd: {path} holds no requests")
    return requests


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"coderd: cannot read {path} as UTF-8 text: {exc}")
