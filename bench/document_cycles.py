"""Daemon memory across open/complete/close cycles of distinct documents (issue #11 item 3).

    python -m bench.document_cycles [--cycles 500] [--kb 200]

Starts `coderd lsp` (relay and daemon, the scripted engine: the subject is the state kept per
document, not the model) in a scratch home with a workspace, then opens, completes once in and
closes `--cycles` distinct documents of `--kb` KB each, printing the daemon's RSS growth over
its RSS after `initialize` at a few points. #11's bound: within +20 MB after 500 cycles of
200 KB documents. Needs the `dev` extra (pytest-lsp), like the tests it borrows a client from.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import psutil

TESTS = Path(__file__).resolve().parents[1] / "tests"
ECHO = {"rules": [{"after": "", "reply": "<{prefix_tail}>"}]}
MARKS = (1, 5, 20, 50, 100, 200, 300, 400, 500)


def source(n: int, size: int) -> str:
    body = "".join(f"def helper_{n}_{i}(x):\n    return x + {i}\n\n" for i in range(size // 20))
    return body[:size] + f"\nvalue_{n} = helper_{n}_0(1)\nresult = "


async def run(cycles: int, size: int) -> list[tuple[int, float]]:
    sys.path.insert(0, str(TESTS))
    from lsp_client import inline, open_doc, running_server, status
    from lsprotocol import types

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        root = home / "ws"
        root.mkdir()
        (root / "lib.py").write_text("def helper(x):\n    return x\n")
        async with running_server(home, fake=ECHO, daemon=True, root=root) as client:
            daemon = psutil.Process((await status(client)).pid)
            start, marks = daemon.memory_info().rss, []
            for n in range(cycles):
                uri = (root / f"doc_{n}.py").as_uri()
                text = source(n, size)
                open_doc(client, uri, text)
                lines = text.split("\n")
                await inline(client, uri, len(lines) - 1, len(lines[-1]))
                client.text_document_did_close(
                    types.DidCloseTextDocumentParams(
                        text_document=types.TextDocumentIdentifier(uri=uri)
                    )
                )
                if n + 1 in MARKS or n + 1 == cycles:
                    await status(client)  # the close has been handled
                    await asyncio.sleep(0.5)  # and its memory given back (system/memory.py)
                    marks.append((n + 1, (daemon.memory_info().rss - start) / 2**20))
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--kb", type=int, default=200)
    args = parser.parse_args(argv)
    marks = asyncio.run(run(args.cycles, args.kb * 1024))
    print(f"daemon RSS growth over its RSS after initialize, {args.kb} KB documents:")
    print("| cycles | " + " | ".join(str(n) for n, _ in marks) + " |")
    print("|---|" + "---|" * len(marks))
    print("| MiB | " + " | ".join(f"{mb:+.1f}" for _, mb in marks) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
