"""Fixtures for the workspace index: real files in tmp_path, a real watchdog observer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ctx_helpers import DEADLINE_S

from coderd.context.index.watch import WorkspaceWatcher
from coderd.context.index.workspace import WorkspaceIndex


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, WorkspaceIndex, WorkspaceWatcher]]:
    """A workspace root with a built index and a started watcher (small debounce)."""
    root = tmp_path / "ws"
    root.mkdir()
    index = WorkspaceIndex(root)
    watcher = WorkspaceWatcher(index, debounce_s=0.05, storm_paths=100).start()
    index.build()
    assert index.wait_ready(DEADLINE_S)
    yield root, index, watcher
    watcher.stop()
    index.close()


@pytest.fixture(scope="session")
def repo_model_path(synthetic_cache_dir: Path) -> Path:
    """Tiny FIM model with Qwen2.5-Coder's repository tokens (`<|repo_name|>`, `<|file_sep|>`)."""
    from coderd.testing.synthetic import cached_model

    return cached_model("tiny", cache_dir=synthetic_cache_dir, repo_tokens=True)
