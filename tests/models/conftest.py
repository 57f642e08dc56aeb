"""Fixtures for the models tests: a private HOME/XDG tree and a loopback hub."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_server import Hub, HubServer


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and every XDG_* in tmp_path; no proxy for loopback; never the real hub."""
    env = {
        "HOME": tmp_path / "home",
        "XDG_CONFIG_HOME": tmp_path / "config",
        "XDG_DATA_HOME": tmp_path / "data",
        "XDG_STATE_HOME": tmp_path / "state",
        "XDG_CACHE_HOME": tmp_path / "cache",
    }
    for key, value in env.items():
        value.mkdir()
        monkeypatch.setenv(key, str(value))
    for key in ("CODERD_CONFIG", "CODERD_MODEL_PATH", "HF_HUB_OFFLINE", "HF_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv(
        "HF_ENDPOINT", "http://127.0.0.1:9"
    )  # a test that forgets the hub fails fast
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    return tmp_path


@pytest.fixture
def hub(home: Path, monkeypatch: pytest.MonkeyPatch):
    with HubServer(Hub()) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server
