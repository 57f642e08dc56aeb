"""Shared pytest fixtures: synthetic GGUF models (random weights, real tokenizer)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from lsp_client import RUNTIME_ROOT_ENV


def pytest_configure(config: pytest.Config) -> None:
    """One short folder under the system's temp folder for every runtime folder the tests
    make (lsp_client.runtime_dir_for), removed when the run ends: thousands were left behind."""
    os.environ[RUNTIME_ROOT_ENV] = tempfile.mkdtemp(prefix="cdr-run-")


def pytest_unconfigure(config: pytest.Config) -> None:
    root = os.environ.pop(RUNTIME_ROOT_ENV, None)
    if root:
        shutil.rmtree(root, ignore_errors=True)


def repo_root() -> Path:
    """The checkout's root (the directory holding pyproject.toml)."""
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def synthetic_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Per-session, not the user's XDG cache: tiny models build in well under a second,
    # and tests must not depend on (or litter) state outside the run.
    return tmp_path_factory.mktemp("synthetic-models")


@pytest.fixture(scope="session")
def llama_backend():
    """The llama_cpp module with its backend initialised once; skips when not installed."""
    import llama_cpp  # a hard dependency: a missing install must fail, not skip

    llama_cpp.llama_backend_init()
    return llama_cpp


@pytest.fixture(scope="session")
def tiny_model_path(synthetic_cache_dir: Path) -> Path:
    """Tiny FIM model; the real DeepSeek vocabulary when the fixture exists, else synthetic."""
    from coderd.testing.synthetic import (
        cached_model,  # needs the 'dev' extra (gguf): fail if absent
    )

    return cached_model("tiny", cache_dir=synthetic_cache_dir)


@pytest.fixture(scope="session")
def tiny_synthetic_model_path(synthetic_cache_dir: Path) -> Path:
    """Tiny FIM model that always uses the small synthetic vocabulary."""
    from coderd.testing.synthetic import (
        cached_model,  # needs the 'dev' extra (gguf): fail if absent
    )

    return cached_model("tiny", cache_dir=synthetic_cache_dir, vocab="synthetic")


@pytest.fixture(autouse=True)
def fixed_prompt_budgets(monkeypatch):
    """Budgets sized from speed measured on a busy test machine would vary between runs (and
    the measurement would land in the user's cache): tests/test_budget.py tests the sizing."""
    monkeypatch.setenv("CODERD_COMPLETION_LATENCY_TARGET_MS", "0")
