"""The runtime folder and what coderd opens in it: only what is ours, never through a symlink.

The folder may sit somewhere others can write (a shared temporary directory, or a runtime
folder that was once left open), so nothing found there is trusted:

- The folder itself must be a real folder owned by us, in a parent that no other user can
  rename it out of (owned by us or root, and sticky if others may write to it). Otherwise it
  is refused, with the fix in the message: there is no fallback folder, because every editor
  must find the same one, and any fixed name another user could take first as well.
- Once it is narrowed to 0700 nobody but us (and root) can add entries, so what another user
  planted before is removed: symlinks and entries not owned by us (unlinking an entry only
  removes the name, never what a symlink points to).
- Lock and pid files are opened with O_NOFOLLOW and must be regular files owned by us; the
  socket must be a socket owned by us before anything is sent to it, and the process that
  accepted the connection must run as us (SO_PEERCRED, where the platform has it).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import stat
import struct
import tempfile
from pathlib import Path

from coderd.system import paths

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

FIX = "remove it, or set XDG_RUNTIME_DIR to a private folder"


class RendezvousError(Exception):
    """The daemon cannot be reached or started; the message says what to do."""


class Refused(RendezvousError):
    """Something in the runtime folder is not ours: trying again cannot help."""


def runtime_folder() -> Path:
    """The private folder for sockets and locks, created 0700, checked and cleaned."""
    folder = paths.runtime_dir()
    if folder is None:
        folder = Path(tempfile.gettempdir()) / f"coderd-{os.getuid()}"
    try:
        paths.ensure_dir(folder)
    except OSError as exc:
        raise Refused(
            f"cannot create the runtime folder {folder}: {_reason(exc)} ({FIX})"
        ) from None
    _check_parent(folder.parent)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise Refused(
            f"{folder} is not a folder owned by you: refusing to put coderd's socket there ({FIX})"
        )
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)  # ours, but open to others: the socket must not be
    _remove_foreign(folder)
    return folder


def _check_parent(parent: Path) -> None:
    """Whoever can write to the parent can swap our folder for theirs after it was checked."""
    try:
        info = parent.stat()
    except OSError as exc:
        raise Refused(f"cannot use {parent} for coderd's runtime folder: {_reason(exc)}") from None
    open_to_others = info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX
    if info.st_uid not in (0, os.getuid()) or open_to_others:
        raise Refused(
            f"{parent} can be changed by other users: refusing to put coderd's socket in it "
            "(set XDG_RUNTIME_DIR to a private folder)"
        )


def _remove_foreign(folder: Path) -> None:
    """Remove what another user planted, before anything here is opened or connected to."""
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    continue  # never a name coderd opens as a folder; opening it fails
                if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
                    os.unlink(entry.path)
                    log.warning("runtime folder: removed %s (planted: not ours)", entry.path)
            except OSError as exc:
                log.warning("runtime folder: cannot remove %s: %s", entry.path, exc)


def open_private(path: Path, flags: int = os.O_RDWR | os.O_CREAT) -> int:
    """A file descriptor on `path`, which must be a regular file of ours: never a symlink,
    never someone else's (O_NONBLOCK: a planted FIFO must not block the open)."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused(f"{path} is a symlink: refusing to follow it ({FIX})") from None
        raise RendezvousError(f"cannot open {path}: {_reason(exc)} ({FIX})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        os.close(fd)
        raise Refused(f"{path} is not a regular file owned by you: refusing it ({FIX})")
    return fd


def socket_is_ours(path: Path) -> bool:
    """Whether a socket of ours is there to connect to: False when nothing (or a file of ours
    the daemon will replace) is there; refused when it is a symlink or another user's."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise RendezvousError(f"cannot look at {path}: {_reason(exc)}") from None
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
        raise Refused(f"{path} is not a socket owned by you: refusing to talk to it ({FIX})")
    return stat.S_ISSOCK(info.st_mode)


def check_peer(sock: socket.socket, path: Path) -> None:
    """The process at the other end runs as us (Linux's SO_PEERCRED; skipped elsewhere)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return
    with contextlib.suppress(OSError):
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, 12))
        if uid == os.getuid():
            return
        sock.close()
        raise Refused(f"{path} is served by another user (uid {uid}): refusing to talk to it")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
