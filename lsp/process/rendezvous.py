"""Where editors find the daemon, and how exactly one daemon gets started.

Layout, in `$XDG_RUNTIME_DIR/coderd/` (mode 0700; without XDG_RUNTIME_DIR a private
`coderd-<uid>` folder in the temporary directory; what is not ours there is refused or
removed, never followed: private_folder.py):

    coderd-<key>.sock   the daemon's Unix socket, mode 0600
    coderd-<key>.pid    held locked (flock) by the live daemon for its whole life
    coderd-<key>.start  locked by a `coderd lsp` while it starts a daemon

`<key>` is a hash of the coderd version, the Python running it and the settings that make
the loaded engine (`DAEMON_SECTIONS`: the model, its context and offload, the remote
backend), so editors that agree on those share one daemon and one copy of the model, whatever
their completion or context settings (those are per session), and one configured with
another model gets its own rather than a silently different one.

Two `coderd lsp` starting at once: both try to connect; both fail; both take the `.start`
lock in turn; the first spawns the daemon and waits until it accepts; the second, once it has
the lock, connects to that daemon instead of spawning another. The daemon itself also refuses
to run while another holds its `.pid` lock, so even a stray manual start cannot make two.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO

from coderd import __version__
from coderd.config.schema import Settings
from coderd.system import paths
from coderd.system.memory import daemon_environment
from lsp.process.private_folder import (
    Refused,
    RendezvousError,
    check_peer,
    open_private,
    runtime_folder,
    socket_is_ours,
)

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

__all__ = ["Refused", "Rendezvous", "RendezvousError", "daemon_key", "runtime_folder"]

PROTOCOL = 1  # the handshake line's format; bump when the hello/welcome lines change
START_TIMEOUT_S = 60.0


# What the daemon's one loaded engine is made of: editors that agree on these share a daemon
# (and one copy of the model in memory). Everything else (completion, context, log) is a
# session's own and applies to its requests only (coderd/completion/sessions.py).
DAEMON_SECTIONS = ("model", "daemon", "remote", "network")
ENGINE_COMPLETION_KEYS = ("reuse_suffix_kv", "suffix_refresh_tokens", "prompt_lookup")


def daemon_key(settings: Settings) -> str:
    chosen = {name: asdict(getattr(settings, name)) for name in DAEMON_SECTIONS}
    chosen["completion"] = {k: getattr(settings.completion, k) for k in ENGINE_COMPLETION_KEYS}
    material = json.dumps(
        {"version": __version__, "python": sys.executable, "settings": chosen},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:12]


class Rendezvous:
    def __init__(self, key: str, folder: Path | None = None) -> None:
        self.key = key
        self.folder = folder or runtime_folder()
        self.socket_path = self.folder / f"coderd-{key}.sock"
        self.pid_path = self.folder / f"coderd-{key}.pid"
        self.start_path = self.folder / f"coderd-{key}.start"

    # -- the editor's side ------------------------------------------------------------------

    def connect(self) -> socket.socket | None:
        """A connection to the daemon, or None when none listens. Nothing is sent to a socket
        that is not ours (Refused): it could be another user's daemon, answering as ours."""
        if not socket_is_ours(self.socket_path):
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(self.socket_path))
        except OSError:
            sock.close()
            return None
        check_peer(sock, self.socket_path)
        return sock

    def connect_or_start(
        self, daemon_command: list[str], env: dict[str, str], err_path: Path
    ) -> socket.socket:
        """Connect to the daemon, starting it first if none answers (see the module doc)."""
        sock = self.connect()
        if sock is not None:
            return sock
        with self._locked(self.start_path):
            sock = self.connect()  # someone else may have started it while we waited
            if sock is not None:
                return sock
            err, where = daemon_stderr(err_path)
            with err:
                process = subprocess.Popen(
                    daemon_command,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=err,
                    stderr=err,
                    start_new_session=True,
                    close_fds=True,
                )  # outlives this editor
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                sock = self.connect()
                if sock is not None:
                    return sock
                if process.poll() is not None and not self._daemon_alive():
                    raise RendezvousError(
                        f"the coderd daemon exited at start (status {process.returncode}); "
                        f"{where}, or run `coderd lsp --standalone` to debug"
                    )
                time.sleep(0.02)
        raise RendezvousError(
            f"the coderd daemon did not answer within {START_TIMEOUT_S:.0f} s; {where}"
        )

    def _daemon_alive(self) -> bool:
        """Another daemon runs (ours lost the race and exited: that's fine). Read from the pid
        it wrote, not by trying its lock: a probe holding the lock for an instant could make a
        daemon that is just starting believe another one runs."""
        try:
            fd = open_private(self.pid_path, os.O_RDONLY)
        except RendezvousError:
            return False
        try:
            pid = int(os.read(fd, 64).strip() or 0)
            if pid <= 0:
                return False
            os.kill(pid, 0)
            return True
        except (OSError, ValueError):
            return False
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        fd = open_private(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # -- the daemon's side ------------------------------------------------------------------

    def claim(self) -> int | None:
        """The daemon's life lock: a file descriptor to keep open, or None if one is running."""
        fd = open_private(self.pid_path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return fd

    def bind(self) -> socket.socket:
        """Listen on the socket, mode 0600 from the start (umask), replacing a stale one.

        Only called with the life lock held, so a socket file here belongs to a dead daemon.
        """
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(str(self.socket_path))
        finally:
            os.umask(old)
        os.chmod(self.socket_path, 0o600)
        self._bound_inode = self.socket_path.lstat().st_ino
        sock.listen(16)
        return sock

    def release(self, listener: socket.socket | None) -> None:
        """Stop being findable: remove the socket if it is still ours."""
        if listener is None:
            return
        with contextlib.suppress(OSError):
            if self.socket_path.lstat().st_ino == getattr(self, "_bound_inode", None):
                self.socket_path.unlink()
        listener.close()


def daemon_stderr(path: Path) -> tuple[BinaryIO, str]:
    """Where the daemon's own output goes, and what an error message says about it. An
    unwritable state folder must not keep the daemon from starting: its output is lost then."""
    try:
        paths.ensure_dir(path.parent)
        return open(path, "ab"), f"see {path}"
    except OSError as exc:
        reason = exc.strerror or str(exc)
        lost = f"its output is lost: cannot write {path} ({reason}; set XDG_STATE_HOME)"
        return open(os.devnull, "ab"), lost


async def open_daemon(
    rendezvous: Rendezvous, daemon_command: list[str], init_options: object
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect (starting the daemon if need be) and shake hands; retry a retiring one (a
    daemon of another coderd version answers "mismatch" and exits)."""
    command = [
        *daemon_command,
        "--key",
        rendezvous.key,
        "--init-options",
        json.dumps(init_options or {}),
    ]
    for _ in range(3):
        sock = await asyncio.to_thread(
            rendezvous.connect_or_start,
            command,
            daemon_environment(os.environ),
            paths.state_dir() / "daemon.err",
        )
        reader, writer = await asyncio.open_unix_connection(sock=sock)
        writer.write(hello_line())
        welcome = json.loads(await asyncio.wait_for(reader.readline(), 30) or b"{}")
        if welcome.get("coderd") == "welcome":
            log.info("relay: connected to daemon pid %s", welcome.get("pid"))
            return reader, writer
        writer.close()  # another version: it retires; the next try starts ours
        await asyncio.sleep(0.2)
    raise RendezvousError("the running coderd daemon is another version and did not retire")


def hello_line() -> bytes:
    return (
        json.dumps({"coderd": "hello", "version": __version__, "protocol": PROTOCOL}) + "\n"
    ).encode()


def welcome_line(accepted: bool) -> bytes:
    return (
        json.dumps(
            {
                "coderd": "welcome" if accepted else "mismatch",
                "version": __version__,
                "protocol": PROTOCOL,
                "pid": os.getpid(),
            }
        )
        + "\n"
    ).encode()


# `python -m lsp` would put the working directory (the editor's: often a cloned repository)
# first on sys.path, and a workspace's `lsp.py` or `coderd/` would then run as the user. `-c`
# puts '' there instead, which this removes before anything of coderd's is imported. (Python
# imports sitecustomize before it adds that entry, so a workspace's one never runs either.)
DAEMON_BOOTSTRAP = (
    "import sys\n"
    "if sys.path and sys.path[0] in ('', '.'): del sys.path[0]\n"
    "from lsp.entry import main\n"
    "sys.exit(main())"
)


def default_daemon_command() -> list[str]:
    return [sys.executable, "-c", DAEMON_BOOTSTRAP, "serve"]
