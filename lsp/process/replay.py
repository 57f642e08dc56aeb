"""What a restarted daemon must be told to stand where the dead one stood (relay.py).

The relay keeps the editor's `initialize` request (its workspace folders kept up to date with
`didChangeWorkspaceFolders`) and a mirror of the open documents' text, and replays them to a
new daemon as `initialize`, `initialized` and one `didOpen` per document. What is mirrored is
what the dead daemon was sent, not what the editor sent: a `didChange` still held in the
relay's backlog would otherwise apply twice (in the replayed `didOpen`, then from the backlog).

Everything here is read from the editor's messages defensively: a malformed one is the
daemon's to answer, and leaves the mirror as it was.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import converters, types

from coderd.positions import normalise_encoding
from lsp.process.framing import Message
from lsp.server.documents import DocumentStore

log = logging.getLogger(f"coderd.{__name__}")  # under the "coderd" logger: the log file

REPLAY_PREFIX = "coderd-replay-"  # ids of the requests the relay itself sends to the daemon


class ReplayState:
    def __init__(self) -> None:
        self.documents = DocumentStore()
        self.initialize: Message | None = None  # the editor's request, folders kept current
        self.initialized = False  # the daemon accepted `initialize`: a second one is not kept
        self._converter = converters.get_converter()

    def editor_sent(self, message: Message) -> None:
        """An `initialize` from the editor: kept until a daemon accepts one."""
        if message.get("method") == types.INITIALIZE and not self.initialized:
            self.initialize = message

    def daemon_sent(self, message: Message) -> None:
        """A message as it goes to the daemon: what a restarted one must get again."""
        method = message.get("method")
        if method == types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS and self.initialize:
            self._follow_folders(self.initialize, message.get("params"))
        self._mirror(method, message.get("params"))

    def answered(self, response: Message) -> None:
        """The daemon's answer to `initialize`: accepted (its position encoding is the
        mirror's from now on), or an error (the editor may send `initialize` again)."""
        result = response.get("result")
        caps = result.get("capabilities") if isinstance(result, dict) else None
        if not isinstance(caps, dict):
            return
        self.initialized = True
        encoding = caps.get("positionEncoding")
        self.documents.encoding = normalise_encoding(
            encoding if isinstance(encoding, str) else "utf-16"
        )

    def replay(self) -> list[Message]:
        """The messages that bring a new daemon to this session's state (none before the
        editor's `initialize`)."""
        if self.initialize is None:
            return []
        opened = [
            {
                "jsonrpc": "2.0",
                "method": types.TEXT_DOCUMENT_DID_OPEN,
                "params": {
                    "textDocument": {
                        "uri": doc.uri,
                        "languageId": doc.language_id,
                        "version": doc.version,
                        "text": doc.text,
                    }
                },
            }
            for doc in self.documents.all()
        ]
        return [
            {**self.initialize, "id": f"{REPLAY_PREFIX}initialize"},
            {"jsonrpc": "2.0", "method": types.INITIALIZED, "params": {}},
            *opened,
        ]

    def _follow_folders(self, initialize: Message, params: object) -> None:
        """A restarted daemon must get the folders as they are now, not as at `initialize`
        (the editor's `initialize` request, which this updates). Malformed events (the
        daemon answers them) leave the folders as they were."""
        init = initialize.get("params")
        event = params.get("event") if isinstance(params, dict) else None
        if not isinstance(init, dict) or not isinstance(event, dict):
            return
        added, removed = event.get("added") or [], event.get("removed") or []
        if not isinstance(added, list) or not isinstance(removed, list):
            return
        if not all(is_folder(f) for f in (*added, *removed)):
            return
        gone = {f["uri"] for f in removed}
        current = init.get("workspaceFolders")
        root = init.get("rootUri")
        if not current and isinstance(root, str) and root:  # the root given the old way: kept
            current = [{"uri": root, "name": root.rstrip("/").split("/")[-1]}]
        if not isinstance(current, list):
            current = []
        folders = [f for f in current if is_folder(f) and f["uri"] not in gone]
        folders += [f for f in added if f not in folders]
        init["workspaceFolders"] = folders

    def _mirror(self, method: str | None, params: Any) -> None:
        """Keep the documents' text, to re-send it to a restarted daemon."""
        try:
            if method == types.TEXT_DOCUMENT_DID_OPEN:
                self.documents.open(
                    self._converter.structure(params, types.DidOpenTextDocumentParams).text_document
                )
            elif method == types.TEXT_DOCUMENT_DID_CHANGE:
                self.documents.change(
                    self._converter.structure(params, types.DidChangeTextDocumentParams)
                )
            elif method == types.TEXT_DOCUMENT_DID_CLOSE:
                self.documents.close(params["textDocument"]["uri"])
        except Exception as exc:  # malformed: the daemon answers it; the mirror just skips it
            log.debug("relay: not mirrored (%s): %s", method, exc)


def is_folder(value: object) -> bool:
    """A WorkspaceFolder as the relay keeps it: an object with a string uri."""
    return isinstance(value, dict) and isinstance(value.get("uri"), str)
