"""Starting the real server over stdio with a real LSP client (pytest-lsp) in a scratch home."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig

TESTS = Path(__file__).resolve().parent


def scratch_env(home: Path, **extra: str) -> dict[str, str]:
    """HOME, TMPDIR and XDG_* inside the test's folder; nothing of the user's leaks in.

    The runtime folder (the daemon's socket) is a short path of its own: a Unix socket's path
    must fit in 107 bytes. A daemon exits 2 s after its last editor (not 10 minutes).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODERD_", "XDG_"))}
    env.update(HOME=str(home), TMPDIR=str(home / "tmp"))
    for name in ("CONFIG", "STATE", "DATA", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(runtime_dir_for(home))
    env["CODERD_DAEMON_IDLE_TIMEOUT_S"] = "2"
    # Budgets sized from a speed measured on a busy test machine would vary from run to run;
    # tests/test_budget.py covers the sizing itself.
    env["CODERD_COMPLETION_LATENCY_TARGET_MS"] = "0"
    env.update(extra)
    return env


# The run's folder for the runtime folders below (tests/conftest.py makes it and removes it at
# the end of the run); the system temp folder when a script imports this module on its own.
RUNTIME_ROOT_ENV = "CODERD_TEST_RUNTIME_ROOT"


def runtime_dir_for(home: Path) -> Path:
    """A short path (a socket's path must fit in 107 bytes; pytest's tmp_path does not)."""
    root = Path(os.environ.get(RUNTIME_ROOT_ENV) or tempfile.gettempdir())
    folder = root / f"cdr-{hashlib.sha1(str(home).encode()).hexdigest()[:10]}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@contextlib.asynccontextmanager
async def running_server(
    home: Path,
    *,
    fake: dict | None = None,
    model: Path | None = None,
    init_options: dict | None = None,
    encodings=None,
    env: dict | None = None,
    root: Path | None = None,
    daemon: bool | None = None,
):
    """`daemon`: through `coderd lsp`'s relay and the shared daemon (the default for the real
    engine, as editors run it), or the standalone server (the default for the fake engine)."""
    extra = dict(env or {})
    if daemon is None:
        daemon = fake is None
    if fake is not None:
        command = [sys.executable, str(TESTS / "fake_server.py"), "lsp"]
        extra["CODERD_FAKE_SCRIPT"] = json.dumps(fake)
    else:
        command = [sys.executable, "-m", "lsp", "lsp"]
    if not daemon:
        command.append("--standalone")
    if model is not None:
        extra["CODERD_MODEL_PATH"] = str(model)
    config = ClientServerConfig(server_command=command, server_env=scratch_env(home, **extra))
    client = await config.start()
    general = types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(general=general),
            initialization_options=init_options,
            root_uri=root.as_uri() if root else None,
        )
    )
    client.init_result = result
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def open_doc(client, uri: str, text: str, language: str = "python") -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )


def edit(
    client, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str
) -> None:
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change],
        )
    )


async def inline(client, uri: str, line: int, character: int, msg_id=None):
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
    )
    return await client.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
    )


async def status(client) -> dict:
    return await client.protocol.send_request_async("coderd/status", {})
