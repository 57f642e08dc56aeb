"""`coderd models pull` against a loopback server that speaks the hub's protocol."""

from __future__ import annotations

import errno
import io
import json
import shutil
from collections import namedtuple
from pathlib import Path

import pytest
from model_helpers import FILE, KEY, REPO, cli, cli_subprocess, write_user_catalog


@pytest.fixture(scope="module")
def gguf_bytes(tmp_path_factory) -> bytes:
    from coderd.testing.synthetic import cached_model

    data = cached_model("tiny", cache_dir=tmp_path_factory.mktemp("tiny")).read_bytes()
    # Over huggingface_hub's 10 MB read chunk, so a dropped connection leaves a part on disk to
    # resume from. The DeepSeek-vocabulary model is that big; the synthetic one (a clone
    # without ../shared) is padded: bytes after the last tensor are ignored by GGUF readers.
    return data + b"\0" * max(0, 12_000_000 - len(data))


def models_dir(home: Path) -> Path:
    return home / "data" / "coderd" / "models"


def leftovers(home: Path) -> list[str]:
    """Everything under the models folder except the manifest."""
    root = models_dir(home)
    if not root.exists():
        return []
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    )


def manifest(home: Path) -> dict:
    path = models_dir(home) / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {"models": {}, "default": None}


def test_full_pull_in_a_real_process(hub, home, gguf_bytes):
    sha = hub.add(REPO, FILE, gguf_bytes)
    write_user_catalog(home, sha256=sha, size=len(gguf_bytes))
    done = cli_subprocess("models", "pull", KEY)
    assert done.returncode == 0, done.stderr
    assert f"installed {KEY}" in done.stdout and "matches the catalogue" in done.stdout
    target = models_dir(home) / FILE
    assert target.read_bytes() == gguf_bytes
    assert leftovers(home) == [FILE]
    m = manifest(home)
    assert m["default"] == KEY  # the first model installed becomes the default
    assert m["models"][KEY]["sha256"] == sha and m["models"][KEY]["source"].startswith(
        f"hf:{REPO}@"
    )
    assert [r[0] for r in hub.requests] == ["HEAD", "GET"], hub.requests
    # Pulling again is a no-op, and `list` shows it installed and default.
    assert cli_subprocess("models", "pull", KEY).stdout.startswith(f"{KEY} is already installed")
    listing = cli_subprocess("models", "list").stdout
    assert any(line.startswith(f"* {KEY}") and " yes " in line for line in listing.splitlines())


def test_dropped_connection_resumes_with_a_range_request(hub, home, gguf_bytes, capsys):
    hub.add(REPO, FILE, gguf_bytes)
    write_user_catalog(home)  # sha256 unknown: the hub's ETag (the LFS sha256) is checked
    # huggingface_hub reads 10 MB chunks: cut late enough that one reached the disk.
    cut = len(gguf_bytes) - 1024
    hub.drop_first_get_at = cut
    assert cli("models", "pull", KEY) == 0, capsys.readouterr().err
    assert "matches the hub ETag" in capsys.readouterr().out
    gets = hub.gets()
    assert len(gets) == 2 and gets[0][2] is None
    resumed_at = int(gets[1][2].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= cut
    assert (models_dir(home) / FILE).read_bytes() == gguf_bytes
    assert leftovers(home) == [FILE]


def test_interrupted_pull_resumes_on_the_next_run(hub, home, gguf_bytes, capsys):
    hub.add(REPO, FILE, gguf_bytes)
    write_user_catalog(home)
    cut = len(gguf_bytes) - 1024
    hub.drop_first_get_at, hub.fail_gets_after_drop = cut, 1  # cut, then the retry gets a 500
    assert cli("models", "pull", KEY) == 1
    err = capsys.readouterr().err
    assert "run the same command again to resume" in err
    part = models_dir(home) / ".partial" / f"{FILE}.part"
    kept = part.stat().st_size
    assert 0 < kept <= cut
    assert KEY not in manifest(home)["models"]

    assert cli("models", "pull", KEY) == 0, capsys.readouterr().err
    assert f"resuming {FILE}" in capsys.readouterr().err
    assert hub.gets()[-1][2] == f"bytes={kept}-"
    assert (models_dir(home) / FILE).read_bytes() == gguf_bytes
    assert leftovers(home) == [FILE]


def test_sha256_mismatch_is_rejected_and_nothing_is_left(hub, home, gguf_bytes, capsys):
    hub.add(REPO, FILE, gguf_bytes)
    write_user_catalog(home)
    hub.corrupt = True  # right ETag, wrong bytes
    assert cli("models", "pull", KEY) == 1
    err = capsys.readouterr().err
    assert "sha256 mismatch" in err and "nothing was installed" in err
    assert len(hub.gets()) == 1
    assert leftovers(home) == []
    assert KEY not in manifest(home)["models"]


def test_catalogue_hash_differing_from_the_hub_downloads_nothing(hub, home, gguf_bytes, capsys):
    hub.add(REPO, FILE, gguf_bytes)
    write_user_catalog(home, sha256="ab" * 32)
    assert cli("models", "pull", KEY) == 1
    assert "changed upstream" in capsys.readouterr().err
    assert hub.gets() == [] and leftovers(home) == []


def test_offline_makes_no_request(hub, home, gguf_bytes, monkeypatch, capsys):
    hub.add(REPO, FILE, gguf_bytes)
    write_user_catalog(home)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert cli("models", "pull", KEY) == 1
    err = capsys.readouterr().err
    assert "offline (HF_HUB_OFFLINE is set)" in err and "coderd models add" in err
    assert hub.requests == []
    # Nothing else touches the network either.
    for argv in (("models", "list"), ("models", "info", KEY)):
        cli(*argv)
    assert hub.requests == []


def test_disk_full_is_refused_before_downloading(hub, home, gguf_bytes, monkeypatch, capsys):
    hub.add(REPO, FILE, gguf_bytes)
    write_user_catalog(home)
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9 - 1000, 1000))
    assert cli("models", "pull", KEY) == 1
    err = capsys.readouterr().err
    assert "not enough disk space" in err and "GiB is free" in err
    assert hub.gets() == [] and leftovers(home) == []


def test_a_model_that_cannot_fit_is_refused(hub, home, monkeypatch, capsys):
    monkeypatch.setattr("coderd.system.hardware.available_memory_bytes", lambda: 2 * 2**30)
    assert cli("models", "pull", "deepseek-coder-33b-base:Q8_0") == 1
    err = capsys.readouterr().err
    assert "will not fit this machine" in err and "only 2.0 GiB" in err
    assert hub.requests == []


REAL_OPEN = io.open


class FullDisk:
    """Writes under `root` fail with ENOSPC once `room` bytes are written, as on a real disk:
    the open (which creates or truncates the file) succeeds, the write does not."""

    def __init__(self, root: Path, room: int) -> None:
        self.root, self.room = root, room

    def open(self, file, mode="r", *args, **kwargs):
        f = REAL_OPEN(file, mode, *args, **kwargs)
        writes = any(c in mode for c in "wax+")
        return _Filling(f, self) if writes and Path(file).is_relative_to(self.root) else f


class _Filling:
    def __init__(self, f, disk: FullDisk) -> None:
        self._f, self._disk = f, disk

    def write(self, data):
        fits = max(0, min(len(data), self._disk.room))
        if fits:
            self._f.write(data[:fits])
            self._disk.room -= fits
        if fits < len(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        return fits

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


def test_a_disk_already_full_is_one_line_and_leaves_nothing(
    hub, home, gguf_bytes, monkeypatch, capsys
):
    hub.add(REPO, FILE, gguf_bytes)
    write_user_catalog(home)
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9, 0))
    monkeypatch.setattr(io, "open", FullDisk(models_dir(home), room=0).open)
    assert cli("models", "pull", KEY) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not enough disk space" in err, err
    assert hub.gets() == [] and leftovers(home) == []  # no 0-byte .part.json


def test_a_disk_that_fills_up_is_one_line_and_the_pull_resumes(
    hub, home, gguf_bytes, monkeypatch, capsys
):
    """disk_usage saw room (another process took it since): the identity file fails to write,
    or later the download; then nothing is left, or a part that the next pull resumes."""
    hub.add(REPO, FILE, gguf_bytes)
    write_user_catalog(home)
    part = models_dir(home) / ".partial" / f"{FILE}.part"
    for room, keeps in ((0, False), (10, False), (3 * 2**20, True)):
        monkeypatch.setattr(io, "open", FullDisk(models_dir(home), room=room).open)
        assert cli("models", "pull", KEY) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "free some space" in err, (room, err)
        if keeps:  # the room less the identity file's few bytes
            assert 3 * 2**20 - 1024 < part.stat().st_size <= 3 * 2**20, err
            assert leftovers(home) == [f".partial/{FILE}.part", f".partial/{FILE}.part.json"]
        else:
            assert leftovers(home) == [], (room, err)
    monkeypatch.setattr(io, "open", REAL_OPEN)  # space again
    assert cli("models", "pull", KEY) == 0, capsys.readouterr().err
    assert f"resuming {FILE} at 3.0 MiB" in capsys.readouterr().err
    assert (models_dir(home) / FILE).read_bytes() == gguf_bytes
