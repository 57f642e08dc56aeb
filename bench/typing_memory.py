"""Daemon memory while several editors type for minutes (issue #11: "RSS flat after the first
minute").

    python -m bench.typing_memory [--editors 3] [--minutes 3] [--model PATH] [--gap-ms 120]

Starts `coderd lsp` relays sharing one daemon in a scratch home (the scripted engine by
default: the subject is what the protocol layer, the documents and the context keep per
keystroke; `--model` runs the real llama.cpp engine, whose KV states are bounded by their own
settings). Each editor opens a copy of a real source file of this repository in a workspace
holding the others, and types Python lines into it, one key per `--gap-ms`, asking for an
inline completion after every key as VS Code does; a newline now and then, and every
`SWITCH_KEYS` keys it opens another file (and closes the one it left, as editors with one
tab would). The daemon's RSS is sampled every `SAMPLE_S` seconds: the table, then its growth per
minute and after the first minute.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
ECHO = {"rules": [{"after": "", "reply": "<{prefix_tail}>"}]}
SAMPLE_S = 10.0
SWITCH_KEYS = 400
LINES = (
    "    total = compute(values, limit=10)\n",
    "    if total > threshold:\n",
    "        return self.finish(total)\n",
    "    result.append(item.name)\n",
)


def workspace(home: Path) -> list[Path]:
    """A copy of coderd's own sources: real files, imports between them."""
    root = home / "ws"
    shutil.copytree(REPO / "coderd", root / "coderd", ignore=shutil.ignore_patterns("__pycache__"))
    return sorted(p for p in (root / "coderd").rglob("*.py") if p.stat().st_size > 2000)


async def editor(n: int, home: Path, files: list[Path], args, stop: float, keys: list[int]):
    from lsp_client import edit, inline, open_doc, running_server
    from lsprotocol import types

    fake = None if args.model else ECHO
    async with running_server(
        home, fake=fake, model=args.model, daemon=True, root=home / "ws"
    ) as client:
        turn, typed = n, 0
        while time.monotonic() < stop:
            path = files[turn % len(files)]
            uri, text = path.as_uri(), path.read_text()
            open_doc(client, uri, text)
            lines = text.split("\n")
            row = len(lines) // 2  # type in the middle of the file: prefix and suffix
            edit(client, uri, 2, (row, 0), (row, 0), "\n")
            col, version = 0, 3
            for ch in "".join(LINES * 1000)[: args.switch_keys]:
                if time.monotonic() >= stop:
                    break
                edit(client, uri, version, (row, col), (row, col), ch)
                version += 1
                row, col = (row + 1, 0) if ch == "\n" else (row, col + 1)
                await inline(client, uri, row, col)
                typed += 1
                await asyncio.sleep(args.gap_ms / 1000)
            client.text_document_did_close(
                types.DidCloseTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=uri)
                )
            )
            turn += args.editors
        keys[n] = typed


async def run(args) -> list[tuple[float, float]]:
    sys.path.insert(0, str(TESTS))
    from lsp_client import running_server, status

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        files = workspace(home)
        fake = None if args.model else ECHO
        # A first session starts the daemon and learns its pid; the editors join it.
        async with running_server(
            home, fake=fake, model=args.model, daemon=True, root=home / "ws"
        ) as probe:
            daemon = psutil.Process((await status(probe)).pid)
            start = time.monotonic()
            stop = start + args.minutes * 60
            keys = [0] * args.editors
            typing = [
                asyncio.create_task(editor(n, home, files, args, stop, keys))
                for n in range(args.editors)
            ]
            samples = []
            while not all(t.done() for t in typing):
                samples.append((time.monotonic() - start, daemon.memory_info().rss / 2**20))
                await asyncio.sleep(SAMPLE_S)
            await asyncio.gather(*typing)
            print(f"keys typed (each with a completion request): {sum(keys)}")
    return samples


def report(samples: list[tuple[float, float]]) -> None:
    print("| seconds | " + " | ".join(f"{t:.0f}" for t, _ in samples) + " |")
    print("|---|" + "---|" * len(samples))
    print("| daemon RSS MiB | " + " | ".join(f"{mb:.0f}" for _, mb in samples) + " |")

    # Growth per minute: caches that fill up (the first files' context memos) show as growth
    # that stops; a leak as growth that does not.
    def at(second: float) -> float:
        return min(samples, key=lambda s: abs(s[0] - second))[1]

    minutes = int(samples[-1][0] // 60)
    steps = [f"minute {m + 1}: {at(60 * (m + 1)) - at(60 * m):+.1f}" for m in range(minutes)]
    print("RSS growth (MiB) per minute: " + ", ".join(steps))
    if minutes >= 2:
        print(f"after the first minute: {at(60 * minutes) - at(60):+.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--gap-ms", type=float, default=120.0)
    parser.add_argument("--switch-keys", type=int, default=SWITCH_KEYS, help="keys per file")
    args = parser.parse_args(argv)
    report(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
