"""Helpers for the workspace-index tests (imported by name: tests/context is on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from coderd.context.index.watch import WorkspaceWatcher
from coderd.context.index.workspace import WorkspaceIndex

# Generous: the suite must pass on a loaded 2-core machine. Waits end as soon as the condition
# holds, so the deadline costs nothing when things are fast.
DEADLINE_S = 20.0


def wait_for(condition: Callable[[], bool], timeout: float = DEADLINE_S, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.01)


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def make(root: Path, files: dict[str, str]) -> WorkspaceIndex:
    """Write `files` under `root` and index them (synchronously, in this thread)."""
    for rel, text in files.items():
        write(root, rel, text)
    index = WorkspaceIndex(root)
    index.rescan()
    return index


def hint_after(root: Path, files: dict[str, str], rel: str, before: str):
    """Write `files` under `root` and return the receiver hint in `files[rel]` right after
    its first `before` (a provider of its own, 400 tokens, a character a token)."""
    for path, text in files.items():
        write(root, path, text)
    at = files[rel].index(before) + len(before)
    hint = hint_at(root, rel, files[rel], at)
    assert hint is not None
    return hint


def hint_at(root: Path, rel: str, text: str, offset: int | None = None):
    """The receiver hint at `offset` (default: the end) of `text`, the buffer of `rel` under
    `root` (a provider of its own, 400 tokens, a character a token); None when there is none."""
    from coderd.config.settings import ContextSettings
    from coderd.context.index.registry import IndexRegistry
    from coderd.context.provider import ContextProvider

    context = ContextProvider(ContextSettings(), [root], IndexRegistry(watch=False))
    try:
        assert context.index_for(root / rel).wait_ready(DEADLINE_S)
        at = len(text) if offset is None else offset
        return context.receiver_hint(root / rel, text, at, lambda t: [0] * len(t), 400)
    finally:
        context.close()


def names(index: WorkspaceIndex, rel: str) -> set[str]:
    symbols = index.file(rel)
    return {d.name for d in symbols.definitions} if symbols else set()


def settle(index: WorkspaceIndex, watcher: WorkspaceWatcher, root: Path) -> None:
    """Wait until the index equals a fresh rebuild of the disk (the watcher has caught up)."""
    expected = fresh_dump(root)
    wait_for(lambda: index.dump() == expected, what="index == fresh rebuild")
    assert watcher.wait_idle(DEADLINE_S)


def fresh_dump(root: Path) -> list[tuple]:
    rebuilt = WorkspaceIndex(root)
    rebuilt.rescan()  # synchronously, in this thread
    rebuilt.close()
    return rebuilt.dump()
