"""Whether a document may be completed by the remote backend: not one whose name looks like it
holds secrets, unless remote.allow_secret_files says so.

With [remote] on, the prompt (the text around the cursor) leaves the machine; inside a `.env`
that text is the keys themselves. The workspace index already skips such names, so their text
never reaches a prompt as context; this keeps it out of the prompt of its own completion. The
names are the index's (context/index/walk.py `is_secret_name`): one list, two uses. The local
model sends nothing anywhere, so it completes everywhere. Asked where a request enters, before
anything is built or sent: lsp/handlers/inline.py and cli/complete.py. (A prewarm after didOpen,
lsp/server/warming.py `_snapshot`, also sends the document to a remote engine: it needs the same
call.)
"""

from __future__ import annotations

from pathlib import PurePath

from coderd.config.schema import Settings
from coderd.context.index.walk import is_secret_name


def remote_secret_refusal(name: str | None, settings: Settings) -> str | None:
    """Why the document called `name` (a path or a URI; None: untitled) gets no completion,
    or None when it may be completed. Only when the remote backend is what would answer."""
    remote = settings.remote.enabled and not settings.network.offline  # loader.backend()
    if not remote or settings.remote.allow_secret_files or not name:
        return None
    base = PurePath(name.rstrip("/")).name
    if not is_secret_name(base):
        return None
    return (
        f"{base} looks like it holds secrets: no completion, so nothing of it is sent to "
        f"{settings.remote.url} (remote.allow_secret_files = true allows it)"
    )
