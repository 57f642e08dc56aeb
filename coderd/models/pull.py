"""`coderd models pull`: a catalogue file from Hugging Face, resumable, checked, then installed.

Through huggingface_hub, so HF_ENDPOINT (a mirror), HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_DISABLE_
PROGRESS_BARS and the standard proxy variables behave as in every other hub tool. We call its
metadata request (`get_hf_file_metadata`, a HEAD) and its streaming download (`http_get`) rather
than `hf_hub_download`: since huggingface_hub 1.x, hf_hub_download writes each attempt to a fresh
temporary file and deletes it on failure, so an interrupted multi-gigabyte pull would start over.
Here the bytes go to .partial/FILE.part in the models folder and a later pull resumes it with an
HTTP Range request (http_get also resumes by itself after a dropped connection).

The file is kept only when its sha256 matches: the catalogue's when it has one, else the hub's
LFS ETag (which is the file's sha256). On a mismatch nothing is left behind.

HF_HUB_OFFLINE=1 and coderd's own `network.offline = true` both refuse before the hub client is
even imported: no request of any kind is made.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coderd.models import store
from coderd.models.catalog import Entry
from coderd.models.gguf_meta import GGUFError, check_complete, read_header
from coderd.system import paths

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
DISK_MARGIN = 64 * 2**20  # the manifest, the log, a little room
TRUTHY = {"1", "on", "yes", "true"}
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class PullError(RuntimeError):
    pass


def offline_reason(settings_offline: bool = False) -> str | None:
    """Why coderd must not touch the network now, or None. Read at call time, not import time."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in TRUTHY:
        return "HF_HUB_OFFLINE is set"
    if settings_offline:
        return "network.offline = true in the settings"
    return None


def endpoint() -> str:
    """HF_ENDPOINT read now (huggingface_hub reads it once, at import)."""
    value = os.environ.get("HF_ENDPOINT", "").strip().rstrip("/")
    return value or "https://huggingface.co"


@dataclass(frozen=True)
class PullResult:
    path: Path
    sha256: str
    verified_against: str  # "catalogue" or "hub ETag"
    resumed_from: int
    commit: str | None


def _sha256(path: Path, progress: Callable[[str], None]) -> str:
    progress(f"verifying sha256 of {path.name} ...")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(4 * 2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _discard(*files: Path) -> None:
    for f in files:
        f.unlink(missing_ok=True)


def _discard_if_empty(part: Path, part_info: Path) -> None:
    """After a failed download: an empty part is nothing to resume, so leave nothing."""
    try:
        empty = part.stat().st_size == 0
    except FileNotFoundError:
        empty = True
    if empty:
        _discard(part, part_info)


def _write_identity(part_info: Path, part: Path, identity: dict[str, object]) -> None:
    """What a new part is a download of, for the next pull to resume: written beside and
    renamed, so a failed write (a full disk) never leaves an empty file under the real name."""
    tmp = part_info.with_name(f".{part_info.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(identity), "utf-8")
        os.replace(tmp, part_info)
    except OSError as exc:
        _discard(tmp, part, part_info)
        full = " (the disk is full); free some space and run it again"
        raise PullError(
            f"cannot write {part_info}: {exc.strerror or exc}"
            + (full if exc.errno in DISK_FULL else "")
        ) from None


def pull(
    entry: Entry, *, settings_offline: bool = False, progress: Callable[[str], None] = print
) -> PullResult:
    if not entry.pullable:
        raise PullError(f"{entry.key} is not downloaded from the hub ({entry.source or 'no repo'})")
    reason = offline_reason(settings_offline)
    if reason:
        raise PullError(
            f"offline ({reason}): `coderd models pull` makes no request. On a connected machine "
            f"download {entry.repo}/{entry.file}, copy it here and run `coderd models add FILE`"
        )
    # Imported here so that nothing else in coderd loads the hub client. No telemetry: with
    # telemetry on, huggingface_hub 2.x adds to its user agent, and may fetch from the hub a
    # registry of "agent harnesses" to detect who is calling; read at import, so set both ways.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from huggingface_hub import constants as hf_constants
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import HfHubHTTPError
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    hf_constants.HF_HUB_DISABLE_TELEMETRY = True
    base = endpoint()
    url = hf_hub_url(entry.repo, entry.file, revision=entry.revision or "main", endpoint=base)
    try:
        meta = get_hf_file_metadata(url, timeout=20, retry_on_errors=True, endpoint=base)
    except HfHubHTTPError as exc:
        raise PullError(f"{url}: {exc}") from None
    except OSError as exc:  # connection refused, DNS, proxy, TLS (httpx errors are OSError-like)
        raise PullError(f"cannot reach {base}: {exc}") from None
    except Exception as exc:  # httpx transport errors are not OSError subclasses
        raise PullError(f"cannot reach {base}: {type(exc).__name__}: {exc}") from None
    size = meta.size or entry.size_bytes
    etag = (meta.etag or "").lower()
    expected = entry.known_sha256
    against = "catalogue"
    if expected is None and SHA256_RE.match(etag):
        expected, against = etag, "hub ETag"
    elif expected and SHA256_RE.match(etag) and etag != expected:
        raise PullError(
            f"the hub's {entry.file} (sha256 {etag}) is not the file the catalogue names "
            f"(sha256 {expected}); it changed upstream. Nothing was downloaded"
        )

    models = paths.ensure_dir(store.models_dir())
    part_dir = paths.ensure_dir(store.partial_dir())
    target = models / entry.file
    part = part_dir / f"{entry.file}.part"
    part_info = part_dir / f"{entry.file}.part.json"
    identity = {"url": url, "etag": etag, "size": size}
    resume = 0
    if part.exists():
        try:
            same = json.loads(part_info.read_text("utf-8")) == identity
        except (OSError, ValueError):
            same = False
        resume = part.stat().st_size if same and part.stat().st_size <= size else 0
        if not resume:
            _discard(part)

    # Checked before anything is written: on a disk already full, even the small identity
    # file would fail half-way (a 0-byte .part.json that the next pull cannot read).
    free = shutil.disk_usage(part_dir).free
    missing = size - resume
    if free < missing + DISK_MARGIN:
        if not resume:
            _discard(part, part_info)
        raise PullError(
            f"not enough disk space in {models}: {entry.file} needs {missing / 2**30:.2f} GiB more, "
            f"{free / 2**30:.2f} GiB is free. Free some space, or set XDG_DATA_HOME to a larger disk"
        )
    if resume:  # its identity is on disk already, and the same
        progress(f"resuming {entry.file} at {resume / 2**20:.1f} MiB of {size / 2**20:.1f} MiB")
    else:
        _write_identity(part_info, part, identity)
    try:
        with part.open("ab") as f:
            http_get(
                meta.location,
                f,
                resume_size=resume,
                expected_size=size,
                headers=build_hf_headers(library_name="coderd"),
                displayed_filename=entry.file,
            )
    except KeyboardInterrupt:
        _discard_if_empty(part, part_info)
        raise PullError("interrupted; run the same `coderd models pull` again to resume") from None
    except Exception as exc:  # network errors of every kind: keep the part to resume
        _discard_if_empty(part, part_info)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise PullError(
                f"the disk holding {models} filled up after {part.stat().st_size / 2**20:.1f} "
                f"MiB of {entry.file}; free some space and run the same command again to resume"
                if part.exists()
                else f"the disk holding {models} is full; free some space and run it again"
            ) from None
        raise PullError(
            f"download failed ({type(exc).__name__}: {exc}); run the same command again to resume"
        ) from None

    digest = _sha256(part, progress)
    if expected and digest != expected:
        _discard(part, part_info)
        raise PullError(
            f"sha256 mismatch for {entry.file}: expected {expected} ({against}), got {digest}. "
            "The download was deleted; nothing was installed"
        )
    try:
        check_complete(read_header(part))
    except GGUFError as exc:
        _discard(part, part_info)
        raise PullError(f"the downloaded file is not a usable GGUF: {exc}") from None
    os.replace(part, target)
    _discard(part_info)
    store.record(
        store.Installed(
            key=entry.key,
            path=str(target),
            linked=False,
            sha256=digest,
            source=f"hf:{entry.repo}@{meta.commit_hash or entry.revision}/{entry.file}",
            size_bytes=target.stat().st_size,
            added=store.now(),
        )
    )
    return PullResult(target, digest, against if expected else "none", resume, meta.commit_hash)
