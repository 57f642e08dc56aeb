"""With the remote backend on, a document whose name looks like secrets (`.env`) gets no
completion and nothing of it reaches the server, unless remote.allow_secret_files; checked
against a real recording server on loopback, through `coderd complete` and the LSP handler."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from lsprotocol import types
from remote_recorder import Recorder  # tests/ is on sys.path

SECRET = "OPENAI_API_KEY=sk-live-0123456789\nDB_URL="


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def remote_env(tmp_path, recorder, monkeypatch):
    """The remote backend on, pointed at the recorder; no user config; logs under tmp_path."""
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    for name in ("CODERD_CONFIG", "CODERD_MODEL_PATH", "CODERD_NETWORK_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("CODERD_REMOTE_ENABLED", "1")
    monkeypatch.setenv("CODERD_REMOTE_URL", recorder.url)
    monkeypatch.setenv("CODERD_CONTEXT_ENABLED", "0")
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text(SECRET, "utf-8")
    return project


def sent_text(recorder: Recorder) -> str:
    return "".join(str(body) for _, _, _, body in recorder.requests)


def test_remote_secret_refusal_names_the_setting():
    from coderd.config.settings import load_settings
    from coderd.policy.secrets import remote_secret_refusal

    def settings(**env: str):
        return load_settings(config_path=Path("/nonexistent.toml"), environ=env).settings

    on = settings(CODERD_REMOTE_ENABLED="1")
    assert "remote.allow_secret_files = true" in remote_secret_refusal("/p/.env", on)
    assert remote_secret_refusal("file:///p/id_ed25519", on) is not None
    assert remote_secret_refusal("/p/app.py", on) is None
    assert remote_secret_refusal(None, on) is None  # an untitled buffer has no name
    assert remote_secret_refusal("/p/.env", settings()) is None  # the local model sends nothing
    offline = settings(CODERD_REMOTE_ENABLED="1", CODERD_NETWORK_OFFLINE="1")
    assert remote_secret_refusal("/p/.env", offline) is None
    allowed = settings(CODERD_REMOTE_ENABLED="1", CODERD_REMOTE_ALLOW_SECRET_FILES="1")
    assert remote_secret_refusal("/p/.env", allowed) is None


def test_coderd_complete_sends_nothing_of_a_dot_env(remote_env, recorder, monkeypatch, capsys):
    from coderd.cli.main import main

    location = f"{remote_env / '.env'}:2:8"
    assert main(["complete", location]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured
    assert ".env looks like it holds secrets" in captured.err
    assert recorder.requests == []
    log = (remote_env.parent / "xdg_state_home" / "coderd" / "coderd.log").read_text("utf-8")
    assert ".env looks like it holds secrets" in log  # the log says why too

    monkeypatch.setenv("CODERD_REMOTE_ALLOW_SECRET_FILES", "1")
    assert main(["complete", location]) == 0, capsys.readouterr().err
    assert "sk-live-0123456789" in sent_text(recorder)  # opted in: sent as any file


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class FakeServer:
    """What lsp/handlers/inline.py reads of a CoderdServer: documents, the service, a key."""

    def __init__(self, service) -> None:
        from lsp.server.documents import DocumentStore

        self.documents = DocumentStore()
        self.service = service
        self.session = "s1"
        self.told: list[str] = []

    def doc_key(self, uri: str) -> str:
        return uri

    def tell_once(self, key: str, kind: object, message: str) -> None:
        self.told.append(message)


def ask(server: FakeServer, path: Path) -> types.InlineCompletionList:
    from lsp.handlers.inline import inline_completion

    uri = path.as_uri()
    server.documents.open(
        types.TextDocumentItem(uri=uri, language_id="dotenv", version=1, text=SECRET)
    )
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=1, character=7),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )
    return asyncio.run(inline_completion(server, params))  # type: ignore[arg-type]


@pytest.mark.parametrize("allowed", [False, True])
def test_the_lsp_handler_sends_nothing_of_a_dot_env(remote_env, recorder, monkeypatch, allowed):
    from coderd.completion.service import CompletionService
    from coderd.config.settings import load_settings
    from coderd.models.loader import load_engine

    if allowed:
        monkeypatch.setenv("CODERD_REMOTE_ALLOW_SECRET_FILES", "true")
    service = CompletionService(load_settings().settings, load_engine)
    service.start()
    try:
        service.model_ready.result(timeout=30)
        server = FakeServer(service)
        logged = Collect()
        logger = logging.getLogger("coderd")  # setup_logging stops it propagating to caplog's
        logger.addHandler(logged)
        level, _ = logger.level, logger.setLevel(logging.INFO)  # as the server sets it up
        try:
            answer = ask(server, remote_env / ".env")
        finally:
            logger.removeHandler(logged)
            logger.setLevel(level)
    finally:
        service.shutdown()
    refused = [m for m in logged.messages if "looks like it holds secrets" in m]
    if allowed:
        assert "sk-live-0123456789" in sent_text(recorder) and not refused
    else:
        assert answer.items == [] and recorder.requests == []
        assert len(refused) == 1 and server.told == []  # the log says why; no pop-up


@pytest.mark.parametrize("allowed", [False, True])
async def test_opening_a_dot_env_prewarms_nothing_to_the_remote(
    remote_env, recorder, tmp_path, allowed
):
    """didOpen prewarms the document's prompt (#12), which with a remote backend is a request
    carrying the text: a secret-looking file must not have one either."""
    import time

    from lsp_client import open_doc, running_server

    env = {
        "CODERD_REMOTE_ENABLED": "1",
        "CODERD_REMOTE_URL": recorder.url,
        "CODERD_CONTEXT_ENABLED": "0",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    if allowed:
        env["CODERD_REMOTE_ALLOW_SECRET_FILES"] = "true"
    async with running_server(tmp_path / "home", env=env, daemon=False) as client:
        open_doc(client, (remote_env / ".env").as_uri(), SECRET)
        # One prewarm a session: the newest replaces a queued one. Give the .env's its chance
        # (when allowed, until it is sent), then the plain file's marks the end.
        deadline = time.monotonic() + (30 if allowed else 1)
        while "sk-live" not in sent_text(recorder) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        open_doc(client, (remote_env / "app.py").as_uri(), "import os\nPLAIN_MARKER = 1\n")
        deadline = time.monotonic() + 30
        while "PLAIN_MARKER" not in sent_text(recorder) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    assert "PLAIN_MARKER" in sent_text(recorder)
    assert ("sk-live-0123456789" in sent_text(recorder)) == allowed
