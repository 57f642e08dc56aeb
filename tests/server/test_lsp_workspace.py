"""Workspace events over stdio: watched files, workspace folders, $/progress of index builds.

Real server process, real pytest-lsp client, real files in tmp folders. The subject is the
index, so most tests use the scripted engine and ask `coderd/workspace` what the index holds;
one uses the tiny real model to see the definitions reach the prompt (`context_tokens`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from pathlib import Path

from lsp_client import TESTS, edit, inline, open_doc, scratch_env, status
from lsprotocol import types
from pytest_lsp import ClientServerConfig
from pytest_lsp.client import make_test_lsp_client

from coderd.config.settings import ContextSettings
from coderd.context.index.registry import IndexRegistry
from coderd.context.index.watch import WorkspaceWatcher
from coderd.context.index.workspace import WorkspaceIndex
from coderd.context.provider import ContextProvider

DEADLINE_S = 20.0  # waits end as soon as the condition holds; generous for a loaded machine
SCRIPT = {"rules": [{"after": "", "reply": "pass"}]}
# The fake server, on a machine where inotify watches ran out: the index's observer cannot
# start, so only the editor's didChangeWatchedFiles can tell it about changes.
NO_INOTIFY = """
import runpy, sys
from coderd.context.index import watch

class NoInotify(watch.Observer):
    def start(self):
        raise OSError(28, "inotify watch limit reached")

watch.Observer = NoInotify
sys.argv = sys.argv[1:]  # as if the fake server were started itself
runpy.run_path(sys.argv[0], run_name="__main__")
"""
EDITOR = types.ClientCapabilities(  # what VS Code and Neovim 0.10+ say about these features
    window=types.WindowClientCapabilities(work_done_progress=True),
    workspace=types.WorkspaceClientCapabilities(
        workspace_folders=True,
        did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
            dynamic_registration=True
        ),
    ),
)
PLAIN = types.ClientCapabilities()


@contextlib.asynccontextmanager
async def session(
    home: Path,
    capabilities=PLAIN,
    folders: list[Path] = (),
    *,
    inotify: bool = True,
    model: Path | None = None,
    init_options: dict | None = None,
):
    env = {"CODERD_MODEL_PATH": str(model)} if model else {"CODERD_FAKE_SCRIPT": json.dumps(SCRIPT)}
    if model:
        command = [sys.executable, "-m", "lsp", "lsp", "--standalone"]
    elif inotify:
        command = [sys.executable, str(TESTS / "fake_server.py")]
    else:
        command = [sys.executable, "-c", NO_INOTIFY, str(TESTS / "fake_server.py")]
    registrations: list[types.RegistrationParams] = []

    def client_factory():
        client = make_test_lsp_client()

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: types.RegistrationParams) -> None:
            registrations.append(params)

        return client

    config = ClientServerConfig(
        server_command=command, client_factory=client_factory, server_env=scratch_env(home, **env)
    )
    client = await config.start()
    client.registrations = registrations
    client.init_result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            initialization_options=init_options,
            workspace_folders=[folder_of(f) for f in folders] or None,
        )
    )
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def folder_of(path: Path) -> types.WorkspaceFolder:
    return types.WorkspaceFolder(uri=path.as_uri(), name=path.name)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


async def workspace(client, *names: str) -> dict:
    return await client.protocol.send_request_async("coderd/workspace", {"names": list(names)})


async def until(client, condition, what: str, *names: str) -> dict:
    """Ask coderd/workspace until `condition(answer)` holds; the last answer."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        answer = await workspace(client, *names)
        if condition(answer):
            return answer
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {answer}"
        await asyncio.sleep(0.05)


def definitions(answer, name: str) -> list[tuple[str, int, str]]:
    return [(d.path, d.line, d.kind) for d in getattr(answer.definitions, name)]


def files_changed(client, *changes: tuple[Path, types.FileChangeType]) -> None:
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=path.as_uri(), type=kind) for path, kind in changes]
        )
    )


def folders_changed(client, added=(), removed=()) -> None:
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[folder_of(p) for p in added], removed=[folder_of(p) for p in removed]
            )
        )
    )


# ---- didChangeWatchedFiles ---------------------------------------------------------------------


async def test_watched_files_registered_only_when_the_client_can(tmp_path):
    root = tmp_path / "ws"
    write(root, "a.py", "def a():\n    pass\n")
    async with session(tmp_path / "h1", EDITOR, [root]) as client:
        await until(client, lambda a: a.roots[0].ready, "the index")
        workspace_caps = client.init_result.capabilities.workspace
        assert workspace_caps.workspace_folders == types.WorkspaceFoldersServerCapabilities(
            supported=True, change_notifications=True
        )
        assert [list(r.registrations) for r in client.registrations] == [
            [
                types.Registration(
                    id="coderd-watched-files",
                    method="workspace/didChangeWatchedFiles",
                    register_options={"watchers": [{"globPattern": "**/*"}]},
                )
            ]
        ]
    async with session(tmp_path / "h2", PLAIN, [root]) as client:
        await until(client, lambda a: a.roots[0].ready, "the index")
        assert client.registrations == []


async def test_reported_files_reach_an_index_without_inotify(tmp_path):
    root = tmp_path / "ws"
    write(root, "main.py", "def main():\n    pass\n")
    async with session(tmp_path / "home", EDITOR, [root], inotify=False) as client:
        await until(client, lambda a: a.roots[0].ready and a.roots[0].files == 1, "the first build")
        late = write(
            root, "pkg/late.py", "class Late:\n    pass\n\n\ndef late_helper():\n    return 1\n"
        )
        await asyncio.sleep(0.3)  # three debounce periods: no observer, nothing may happen
        assert definitions(await workspace(client, "late_helper"), "late_helper") == []

        files_changed(client, (late, types.FileChangeType.Created))
        files_changed(client, (late, types.FileChangeType.Changed))  # twice: still one file
        answer = await until(
            client, lambda a: a.definitions.late_helper, "the reported file", "late_helper", "Late"
        )
        assert definitions(answer, "late_helper") == [(str(late), 5, "function")]
        assert definitions(answer, "Late") == [(str(late), 1, "class")]
        assert (answer.roots[0].files, answer.roots[0].definitions) == (2, 3)

        late.unlink()
        files_changed(client, (late, types.FileChangeType.Deleted))
        answer = await until(
            client, lambda a: not a.definitions.late_helper, "the deletion", "late_helper", "main"
        )
        assert (answer.roots[0].files, answer.roots[0].definitions) == (1, 1)
        assert definitions(answer, "main") == [(str(root / "main.py"), 1, "function")]


# ---- workspace folders and $/progress -----------------------------------------------------------


def library(root: Path, files: int = 40) -> Path:
    for i in range(files):
        write(
            root,
            f"lib/m{i}.py",
            f"def helper_{i}(x):\n    return x + {i}\n\n\nclass Thing{i}:\n    pass\n",
        )
    return root / "lib"


async def test_added_folder_reports_progress_in_order(tmp_path):
    lib = library(tmp_path)
    async with session(tmp_path / "home", EDITOR) as client:
        folders_changed(client, added=[lib])
        answer = await until(
            client, lambda a: a.roots and a.roots[0].ready, "the build", "helper_7"
        )
        assert definitions(answer, "helper_7") == [(str(lib / "m7.py"), 1, "function")]
        deadline = time.monotonic() + DEADLINE_S
        while not any(v and v[-1].kind == "end" for v in client.progress_reports.values()):
            assert time.monotonic() < deadline, client.progress_reports
            await asyncio.sleep(0.02)
    [(token, values)] = client.progress_reports.items()
    assert token.startswith("coderd-index-")
    begin, *reports, end = values
    assert begin == types.WorkDoneProgressBegin(
        title="coderd: indexing lib", cancellable=False, percentage=0
    )
    assert reports and all(r.kind == "report" for r in reports)
    assert reports[-1] == types.WorkDoneProgressReport(message="40/40 files", percentage=100)
    percentages = [r.percentage for r in reports]
    assert percentages == sorted(percentages)
    assert re.fullmatch(r"40 files, 80 definitions, \d+\.\d s", end.message), end


async def test_no_progress_for_a_client_without_work_done_progress(tmp_path):
    lib = library(tmp_path)
    async with session(tmp_path / "home", PLAIN) as client:
        folders_changed(client, added=[lib])
        await until(client, lambda a: a.roots and a.roots[0].ready, "the build")
        await asyncio.sleep(0.1)
        assert client.progress_reports == {}


async def test_added_folder_feeds_the_prompt_and_removing_it_stops_that(tmp_path, tiny_model_path):
    other = tmp_path / "other"
    write(other, "notes.py", "def note():\n    pass\n")
    proj = tmp_path / "proj"
    write(proj, "pkg/__init__.py", "")
    write(
        proj,
        "pkg/shapes.py",
        "class Square:\n    def __init__(self, side):\n        self.side = side\n\n"
        "    def area(self):\n        return self.side ** 2\n",
    )
    main = write(
        proj, "pkg/main.py", "from pkg.shapes import Square\n\n\ndef total(items):\n    result = \n"
    )
    uri, text = main.as_uri(), main.read_text()
    options = {"completion": {"max_tokens": 2, "speculate": False, "debounce_ms_max": 0}}
    async with session(
        tmp_path / "home", PLAIN, [other], model=tiny_model_path, init_options=options
    ) as client:
        open_doc(client, uri, text)
        typed = iter(range(1, 1000))

        async def context_tokens() -> int:
            """Context of a fresh request (a new character each time: no cached answer)."""
            while True:
                i = next(typed)
                edit(client, uri, i + 1, (4, 12 + i), (4, 12 + i), "q")  # after "    result = "
                await inline(client, uri, 4, 13 + i)
                last = (await status(client)).last
                if last is not None and last.stop_reason != "cache":
                    return last.context_tokens

        assert await context_tokens() == 0  # not in a workspace folder yet
        folders_changed(client, added=[proj])
        answer = await until(
            client,
            lambda a: len(a.roots) == 2 and all(r.ready for r in a.roots),
            "the added folder's index",
            "Square",
        )
        assert definitions(answer, "Square") == [(str(proj / "pkg/shapes.py"), 1, "class")]
        assert {r.path: r.users for r in answer.roots} == {str(proj): 1, str(other): 1}
        deadline = time.monotonic() + DEADLINE_S
        while await context_tokens() == 0:
            assert time.monotonic() < deadline, "the context never came"

        folders_changed(client, removed=[proj])
        answer = await until(client, lambda a: len(a.roots) == 1, "the removal", "Square")
        assert [r.path for r in answer.roots] == [str(other)]
        assert definitions(answer, "Square") == []
        assert await context_tokens() == 0


# ---- below the server: the shared registry and the one batch path ----------------------------


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def build_started(self, root):
        self.events.append(("started", root.name))

    def build_progress(self, done, total):
        self.events.append(("progress", done, total))

    def build_finished(self, stats):
        self.events.append(("finished", stats.files))


def test_sessions_share_an_index_and_removing_a_folder_keeps_the_other_users(tmp_path):
    root = tmp_path / "shared"
    for i in range(3):
        write(root, f"m{i}.py", f"def f{i}():\n    pass\n")
    registry = IndexRegistry()
    first = ContextProvider(ContextSettings(), [], registry)
    second = ContextProvider(ContextSettings(), [], registry)
    early, late = Recorder(), Recorder()
    first.report_builds(lambda r: early)
    first.add_root(root)
    assert first.settled(DEADLINE_S)
    index = first.index_for(root / "m0.py", create=False)
    assert index.wait_ready(DEADLINE_S)
    second.report_builds(lambda r: late)
    second.add_root(root)
    assert second.settled(DEADLINE_S)
    assert second.index_for(root / "m0.py", create=False) is index and registry.users(root) == 2
    # The first file and the last are always passed on; others at most every 200 ms.
    assert early.events[:2] == [("started", "shared"), ("progress", 1, 3)]
    assert early.events[-2:] == [("progress", 3, 3), ("finished", 3)]
    assert late.events == []  # already built: nothing to report

    first.remove_root(root)
    assert first.settled(DEADLINE_S)
    assert first.index_for(root / "m0.py") is None and registry.users(root) == 1
    watcher = registry._entries[root.resolve()].watcher
    assert watcher._observer.is_alive()  # the other session still follows the disk
    second.close()
    assert second.settled(DEADLINE_S)
    assert registry.users(root) == 0 and not watcher._observer.is_alive()


def test_a_change_both_sources_report_is_parsed_once(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    index = WorkspaceIndex(root)
    watcher = WorkspaceWatcher(index, debounce_s=0.02).start()
    index.build()
    assert index.wait_ready(DEADLINE_S)
    path = write(root, "a.py", "def a():\n    pass\n")
    deadline = time.monotonic() + DEADLINE_S
    while index.file("a.py") is None:  # the observer's batch
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)  # the write's later events (modified, closed) too
    assert watcher.wait_idle(DEADLINE_S)
    generation, batches = index.generation, watcher.batches
    watcher.report([path, root / "missing.py"])  # the editor, later, about the same change
    assert watcher.wait_idle(DEADLINE_S)
    assert (index.generation, watcher.batches) == (generation, batches)  # a stat each, no parse
    path.write_text("def a():\n    pass\n\n\ndef b():\n    pass\n")
    watcher.report([path])
    deadline = time.monotonic() + DEADLINE_S
    while len(index.file("a.py").definitions) != 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    watcher.stop()
    index.close()
