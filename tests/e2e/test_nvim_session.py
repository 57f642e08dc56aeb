"""The Neovim client as a user's Neovim runs it: the README's init.lua, files on the command
line, `coderd` on PATH (here a script that runs tests/fake_server.py: the real relay and
daemon with scripted replies).

- One coderd client per Neovim, serving every file buffer, through :next, :e, :split.
- The completion menu's selected item goes out as `context.selectedCompletionInfo`, read off
  the wire (the `coderd` script tees what Neovim sends).
- A missing `coderd` is reported once, with how to install it, and :checkhealth says the same.
- Long server messages never stop typing (in a real terminal, tests/e2e/test_nvim_messages.py).

Both Neovims of test_nvim.py: 0.11 next to this Python, Debian's 0.7.2 at /usr/bin/nvim.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsp_client import scratch_env
from test_nvim import NVIMS

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "nvim"
TESTS = PLUGIN / "tests"
RUN_TIMEOUT_S = 60


def install_coderd_script(folder: Path) -> Path:
    """A `coderd` on PATH that runs the fake server and tees both directions of the wire."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "coderd"
    script.write_text(
        "#!/bin/sh\n"
        'tee -a "${CODERD_TEST_WIRE_IN:-/dev/null}" | '
        f'"{sys.executable}" "{REPO / "tests" / "fake_server.py"}" "$@" | '
        'tee -a "${CODERD_TEST_WIRE_OUT:-/dev/null}"\n'
    )
    script.chmod(0o755)
    return folder


def readme_init_lua(folder: Path, setup_args: str = "{}", extra: str = "", first: str = "") -> Path:
    """The README's plain-runtimepath init.lua (plus `extra` lines, after `first` lines)."""
    init = folder / "init.lua"
    init.write_text(
        f'{first}vim.opt.runtimepath:append("{PLUGIN}")\n'
        f'require("coderd").setup({setup_args})\n{extra}'
    )
    return init


def lsp_messages(raw: bytes) -> list[dict]:
    """The JSON-RPC messages of one direction of an LSP stream (Content-Length framing)."""
    out, at = [], 0
    while (head_end := raw.find(b"\r\n\r\n", at)) != -1:
        headers = raw[at:head_end].decode("ascii").split("\r\n")
        length = next(
            int(h.split(":")[1]) for h in headers if h.lower().startswith("content-length")
        )
        body = raw[head_end + 4 : head_end + 4 + length]
        out.append(json.loads(body))
        at = head_end + 4 + length
    return out


def run_nvim(
    nvim: str,
    tmp_path: Path,
    files: list[str],
    script: str,
    path_dirs: list[Path],
    init_extra: str = "",
    init_first: str = "",
    **env: str,
) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    init = readme_init_lua(tmp_path, extra=init_extra, first=init_first)
    environment = scratch_env(home, **env)
    environment["PATH"] = ":".join([*(str(p) for p in path_dirs), "/usr/bin", "/bin"])
    args = [
        nvim,
        "--headless",
        "-u",
        str(init),
        "-i",
        "NONE",
        "-n",
        *files,
        "-c",
        f"luafile {TESTS / script}",
    ]
    try:
        proc = subprocess.run(
            args,
            env=environment,
            cwd=tmp_path / "work",
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"nvim ran past {RUN_TIMEOUT_S} s\n{exc.stdout}\n{exc.stderr}")
    print(proc.stdout, proc.stderr)
    return proc


def work_files(tmp_path: Path, **files: str) -> None:
    work = tmp_path / "work"
    work.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (work / name.replace("_py", ".py")).write_text(text)


def lines_with(prefix: str, output: str) -> list:
    return [
        json.loads(line[len(prefix) + 1 :])
        for line in output.splitlines()
        if line.startswith(prefix + " ")
    ]


@pytest.mark.parametrize("nvim", NVIMS)
def test_one_client_serves_every_buffer(nvim, tmp_path):
    """The reported bug: setup() in init.lua ran before the file was loaded, vim.lsp.start
    started a client it could not attach and returned nil, and FileType/BufEnter started a
    second one (0.8+: `:lua =vim.lsp.get_clients()` showed one client with no buffers)."""
    work_files(
        tmp_path, app_py="x = 1\n", second_py="y = 2\n", other_py="z = 3\n", third_py="t = 4\n"
    )
    bin_dir = install_coderd_script(tmp_path / "bin")
    proc = run_nvim(nvim, tmp_path, ["app.py", "second.py"], "clients.lua", [bin_dir])
    states = lines_with("STATE", proc.stdout)
    assert proc.returncode == 0 and len(states) == 5, proc.stdout + proc.stderr
    first_id = states[0]["clients"][0]["id"] if states[0]["clients"] else None
    for state in states:
        assert len(state["clients"]) == 1, f"after {state['step']}: {state}"
        client = state["clients"][0]
        assert client["id"] == first_id, f"a new client after {state['step']}: {state}"
        assert client["buffers"] == state["covered"], f"after {state['step']}: {state}"
    assert states[-1]["covered"][-1] == "third.py" and "app.py" in states[-1]["covered"]


@pytest.mark.parametrize("nvim", NVIMS)
def test_selected_menu_item_goes_out_as_selected_completion_info(nvim, tmp_path):
    """Before: the request said nothing of Neovim's completion menu, and with 'completeopt'
    noinsert ("api = Lit", Litestar selected) the server completed "Lit"."""
    work_files(tmp_path, app_py="from litestar import Litestar, Literal\n")
    bin_dir = install_coderd_script(tmp_path / "bin")
    wire = tmp_path / "wire-in"
    proc = run_nvim(
        nvim,
        tmp_path,
        ["app.py"],
        "popup.lua",
        [bin_dir],
        CODERD_TEST_WIRE_IN=str(wire),
        # The server completes as if the selected item were accepted: "= Litestar" answers
        # even while the buffer holds "= Lit"; popup.lua checks the ghost text and <Tab>.
        CODERD_TEST_GHOST="1",
        CODERD_FAKE_SCRIPT=json.dumps(
            {"rules": [{"after": "= Litestar", "reply": "(debug=True)"}]}
        ),
    )
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    contexts = [
        (m["params"]["position"], m["params"]["context"])
        for m in lsp_messages(wire.read_bytes())
        if m.get("method") == "textDocument/inlineCompletion"
    ]
    selected = [
        (pos, ctx["selectedCompletionInfo"])
        for pos, ctx in contexts
        if "selectedCompletionInfo" in ctx
    ]

    def info(line: int, start: int, end: int) -> tuple:
        span = {
            "start": {"line": line, "character": start},
            "end": {"line": line, "character": end},
        }
        return {"line": line, "character": end}, {"range": span, "text": "Litestar"}

    # The menu inserted the item ("app = Litestar"): the range is the inserted word.
    assert info(1, 6, 14) in selected, contexts
    # 'completeopt' noinsert ("api = Lit", Litestar selected): the range is what is typed.
    assert info(2, 6, 9) in selected, contexts
    # Every request naming the item was made with the menu open on lines 1 and 2 only.
    assert {pos["line"] for pos, _ in selected} == {1, 2}, contexts
    assert contexts[-1][0]["line"] == 3 and "selectedCompletionInfo" not in contexts[-1][1]


@pytest.mark.parametrize("nvim", NVIMS)
def test_missing_coderd_is_reported_once_with_the_fix(nvim, tmp_path):
    """Before: nothing at all while typing (only :checkhealth knew), and it said
    `pip install coderd`, which installs nothing: coderd is not on PyPI."""
    if shutil.which("coderd", path="/usr/bin:/bin"):
        pytest.skip("a coderd is installed in /usr/bin or /bin")
    work_files(tmp_path, app_py="x = 1\n", other_py="y = 2\n")
    proc = run_nvim(nvim, tmp_path, ["app.py"], "messages.lua", [])
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    (messages,) = lines_with("MESSAGES", proc.stdout)
    (health,) = lines_with("HEALTH", proc.stdout)
    about = [line for line in messages if "coderd" in line]
    assert len(about) == 1, messages  # two buffers, typing in both: one message
    # At 80 columns the line is cut, but what to do is on it.
    assert "`coderd` not on PATH; fix: pipx install /path/to/coderd" in about[0], about
    assert "pipx install /path/to/coderd" in health and "pip install coderd" not in health, health


@pytest.mark.parametrize("nvim", NVIMS)
def test_a_wrong_model_path_is_reported_once(nvim, tmp_path):
    """The real `coderd` (relay and daemon) with a model file that does not exist: the error
    that stops completions is shown once, on one line, and kept in full."""
    work_files(tmp_path, app_py="x = 1\n", other_py="y = 2\n")
    missing = tmp_path / "no-such-model.gguf"
    proc = run_nvim(
        nvim,
        tmp_path,
        ["app.py"],
        "messages.lua",
        [Path(sys.executable).parent],  # the `coderd` this checkout installed
        CODERD_MODEL_PATH=str(missing),
        CODERD_TEST_WAIT_FOR=missing.name,
    )
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    (messages,) = lines_with("MESSAGES", proc.stdout)
    (kept,) = lines_with("KEPT", proc.stdout)
    shown = [line for line in messages if line.startswith("coderd")]
    assert len(shown) == 1 and "model file not found" in shown[0], messages
    errors = [m for m in kept if missing.name in m["text"]]
    assert len(errors) == 1 and errors[0]["level"] == 4, kept  # vim.log.levels.ERROR
    (status,) = lines_with("STATUS", proc.stdout)
    (health,) = lines_with("HEALTH", proc.stdout)
    assert errors[0]["text"] in status and errors[0]["text"] in health  # in full
    (statusline,) = lines_with("STATUSLINE", proc.stdout)
    assert statusline.startswith("coderd: cannot load the model") and len(statusline) <= 40


# The user's own language server, the way a plain init.lua starts it (0.7 has no lsp.start).
USER_PYLSP = """
vim.api.nvim_create_autocmd("FileType", {
  pattern = "python",
  callback = function(ev)
    local config = { name = "pylsp", cmd = { "pylsp" }, root_dir = vim.fn.getcwd() }
    if vim.lsp.start then
      vim.lsp.start(config)
    else
      vim.g.pylsp_id = vim.g.pylsp_id or vim.lsp.start_client(config)
      vim.lsp.buf_attach_client(ev.buf, vim.g.pylsp_id)
    end
  end,
})
"""


@pytest.mark.parametrize("pylsp_first", [False, True], ids=["pylsp-after", "pylsp-first"])
@pytest.mark.parametrize("nvim", NVIMS)
def test_beside_the_users_pylsp(nvim, pylsp_first, tmp_path):
    """The Done-when's "the user's other language server keeps working beside coderd":
    pylsp keeps answering hover and definition in the buffer where coderd suggests, one
    client each, whether the user's init.lua sets pylsp up before or after coderd. Fails
    when the plugin detaches the buffer's other clients, or (pylsp first, 0.8+) when its
    `reuse_client` takes any running client for coderd's."""
    pylsp = shutil.which("pylsp", path=str(Path(sys.executable).parent)) or shutil.which("pylsp")
    if pylsp is None:
        pytest.skip("pylsp is not installed (pip install python-lsp-server)")
    work_files(
        tmp_path, app_py="import os\n\n\ndef add(a, b):\n    return a\n\n\nprint(add(1, 2))\n"
    )
    pylsp_dir = tmp_path / "pylsp-bin"  # pylsp alone: its folder may hold the real coderd
    pylsp_dir.mkdir()
    (pylsp_dir / "pylsp").symlink_to(pylsp)
    proc = run_nvim(
        nvim,
        tmp_path,
        ["app.py"],
        "beside.lua",
        [install_coderd_script(tmp_path / "bin"), pylsp_dir],
        init_extra="" if pylsp_first else USER_PYLSP,
        init_first=USER_PYLSP if pylsp_first else "",
        CODERD_FAKE_SCRIPT=json.dumps({"rules": [{"after": "x = ", "reply": "os.getcwd()"}]}),
    )
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
