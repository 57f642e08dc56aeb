"""Nothing planted in the runtime folder is followed, written through or talked to (issue #11,
item 4): the pid file, the start lock, the socket and the folder itself.

Another user's planting is what these stand for. Symlinks are refused whoever owns them; the
ownership checks need a file of another uid, which only root can make (those tests skip
otherwise).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from lsp_client import TESTS, runtime_dir_for, scratch_env

from lsp.process.rendezvous import Refused, Rendezvous, RendezvousError, runtime_folder

OTHER_UID = 65534  # nobody
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can plant another's files")
VICTIM_TEXT = "the victim's own content\n"


@pytest.fixture
def folder() -> Path:
    """A private runtime folder with a short path (a socket path must fit in 107 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="cdr-rf-"))
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text(VICTIM_TEXT)
    return path


def listener(path: Path) -> socket.socket:
    """Someone else's socket: it must never see a connection."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(4)
    sock.setblocking(False)
    return sock


def never_connected(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return True
    return False


def test_a_symlinked_pid_file_is_not_written_through(folder: Path, victim: Path):
    rendezvous = Rendezvous("k", folder)
    rendezvous.pid_path.symlink_to(victim)
    with pytest.raises(Refused, match="symlink"):
        rendezvous.claim()
    assert victim.read_text() == VICTIM_TEXT
    dangling = folder / "dangling-target"
    rendezvous.pid_path.unlink()
    rendezvous.pid_path.symlink_to(dangling)  # O_CREAT alone would create the target
    with pytest.raises(Refused):
        rendezvous.claim()
    assert not dangling.exists()
    assert not rendezvous._daemon_alive()  # nor read through


def test_a_symlinked_start_lock_is_not_opened(folder: Path, victim: Path):
    rendezvous = Rendezvous("k", folder)
    rendezvous.start_path.symlink_to(victim)
    ran = folder / "ran"
    with pytest.raises(Refused, match="symlink"):
        rendezvous.connect_or_start(["touch", str(ran)], dict(os.environ), folder / "err")
    assert victim.read_text() == VICTIM_TEXT
    assert not ran.exists()  # no daemon started past a refused lock


def test_a_fifo_or_folder_in_place_of_the_pid_file_is_refused(folder: Path):
    rendezvous = Rendezvous("k", folder)
    os.mkfifo(rendezvous.pid_path)  # must not block the open either
    with pytest.raises(Refused, match="not a regular file"):
        rendezvous.claim()
    rendezvous.start_path.mkdir()
    with pytest.raises(RendezvousError):
        rendezvous.connect_or_start(["true"], dict(os.environ), folder / "err")


def test_a_symlinked_socket_is_never_connected_to(folder: Path, tmp_path: Path):
    theirs = listener(Path(tempfile.mkdtemp(prefix="cdr-x-")) / "their.sock")
    rendezvous = Rendezvous("k", folder)
    rendezvous.socket_path.symlink_to(theirs.getsockname())
    try:
        with pytest.raises(Refused, match="not a socket owned by you"):
            rendezvous.connect()
        assert never_connected(theirs)
    finally:
        theirs.close()


@as_root
def test_a_socket_of_another_user_is_never_connected_to(folder: Path):
    rendezvous = Rendezvous("k", folder)
    theirs = listener(rendezvous.socket_path)
    os.chown(rendezvous.socket_path, OTHER_UID, OTHER_UID)
    try:
        with pytest.raises(Refused, match="not a socket owned by you"):
            rendezvous.connect()
        assert never_connected(theirs)
    finally:
        theirs.close()


@as_root
def test_a_daemon_running_as_another_user_is_refused_after_connecting(folder: Path):
    """The socket file is ours, but the process listening on it is not (SO_PEERCRED)."""
    rendezvous = Rendezvous("k", folder)
    script = (
        "import os, socket, sys, time\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        f"s.bind({str(rendezvous.socket_path)!r})\n"
        f"os.setuid({OTHER_UID})\n"  # the credentials a peer sees are the ones at listen()
        "s.listen(4); print('ready', flush=True); time.sleep(30)\n"
    )
    other = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert other.stdout.readline().strip() == b"ready"
        assert rendezvous.socket_path.lstat().st_uid == os.getuid()
        with pytest.raises(Refused, match=f"another user \\(uid {OTHER_UID}\\)"):
            rendezvous.connect()
    finally:
        other.kill()
        other.wait()


def use_runtime_dir(monkeypatch, base: Path) -> Path:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(base))
    return base / "coderd"


def test_a_symlinked_runtime_folder_is_refused(folder: Path, tmp_path: Path, monkeypatch):
    target = tmp_path / "theirs"
    target.mkdir()
    use_runtime_dir(monkeypatch, folder).symlink_to(target)
    with pytest.raises(Refused, match="not a folder owned by you"):
        Rendezvous("k")
    assert list(target.iterdir()) == []


@as_root
def test_a_runtime_folder_of_another_user_is_refused(folder: Path, monkeypatch):
    theirs = use_runtime_dir(monkeypatch, folder)
    theirs.mkdir(mode=0o777)
    os.chown(theirs, OTHER_UID, OTHER_UID)
    with pytest.raises(Refused, match="not a folder owned by you"):
        runtime_folder()
    assert list(theirs.iterdir()) == []


def test_a_runtime_folder_in_a_parent_open_to_all_is_refused(folder: Path, monkeypatch):
    folder.chmod(0o777)  # not sticky: anyone could swap coderd's folder after the check
    use_runtime_dir(monkeypatch, folder)
    with pytest.raises(Refused, match="can be changed by other users"):
        runtime_folder()
    folder.chmod(0o1777)  # like /tmp: fine
    assert runtime_folder() == folder / "coderd"


def test_what_was_planted_in_the_folder_is_removed_and_ours_is_kept(
    folder: Path, victim: Path, monkeypatch
):
    ours = use_runtime_dir(monkeypatch, folder)
    ours.mkdir(mode=0o777)  # ours, but it was open to others for a while
    for name in ("coderd-k.pid", "coderd-k.start", "coderd-k.sock"):
        (ours / name).symlink_to(victim)
    (ours / "coderd-old.pid").write_text("123\n")
    if os.geteuid() == 0:
        (ours / "coderd-k2.pid").write_text("1\n")
        os.chown(ours / "coderd-k2.pid", OTHER_UID, OTHER_UID)
    assert runtime_folder() == ours
    assert stat.S_IMODE(ours.stat().st_mode) == 0o700
    assert sorted(p.name for p in ours.iterdir()) == ["coderd-old.pid"]
    assert victim.read_text() == VICTIM_TEXT


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def test_a_daemon_started_past_planted_symlinks_writes_nothing_through_them(
    tmp_path: Path, victim: Path
):
    """End to end: the relay and the daemon it starts, with every name of its key planted."""
    env = scratch_env(tmp_path / "home", CODERD_FAKE_SCRIPT=json.dumps({"rules": []}))
    key = subprocess.run(
        [
            sys.executable,
            "-c",
            "from coderd.config.settings import load_settings\n"
            "from lsp.process.rendezvous import daemon_key\n"
            "print(daemon_key(load_settings(init_options=None).settings))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = runtime_dir_for(tmp_path / "home") / "coderd"
    ours.mkdir(mode=0o700)
    for suffix in ("pid", "start", "sock"):
        (ours / f"coderd-{key}.{suffix}").symlink_to(victim)
    relay = subprocess.Popen(
        [sys.executable, str(TESTS / "fake_server.py"), "lsp"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        initialize = {"processId": None, "rootUri": None, "capabilities": {}}
        relay.stdin.write(
            frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize})
        )
        relay.stdin.flush()
        header = relay.stdout.readline()
        assert header.startswith(b"Content-Length")
        relay.stdout.readline()
        answer = json.loads(relay.stdout.read(int(header.split(b":")[1])))
        assert "capabilities" in answer.get("result", {}), answer
        pid_file = ours / f"coderd-{key}.pid"  # the daemon's own, in place of the symlink
        assert not pid_file.is_symlink() and int(pid_file.read_text()) > 0
        assert stat.S_ISSOCK((ours / f"coderd-{key}.sock").lstat().st_mode)
    finally:
        relay.stdin.close()
        relay.wait(timeout=30)
        time.sleep(0.1)
    assert victim.read_text() == VICTIM_TEXT
    assert b"Traceback" not in relay.stderr.read()
