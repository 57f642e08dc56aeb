// Follows the suggestions the server made (by their `id`) and sends the optional
// `coderd/didShow`, `coderd/didAccept` and `coderd/didReject` notifications (editors/PROTOCOL.md).
// No `vscode` import here, so it is unit-tested under plain Node.

export type Notify = (method: string, params: object) => void;

interface Suggestion {
  id: string;
  text: string;
  accepted: string; // what partial accepts have inserted so far
}

export class SuggestionTracker {
  // The suggestion on screen, per document URI (VS Code shows one at a time per editor).
  private readonly current = new Map<string, Suggestion>();

  constructor(private readonly notify: Notify) {}

  /** The first item of a completion result is the one VS Code puts on screen. `fromList`: the
   * start of `text` that is the suggest widget's selected item (selectedCompletionInfo), which
   * the widget inserts, not the suggestion. */
  shown(uri: string, id: string | undefined, text: string, fromList = ''): void {
    if (id === undefined) {
      return; // a server that names no suggestions gets no notifications
    }
    const before = this.current.get(uri);
    if (before && before.id === id) {
      return;
    }
    this.current.set(uri, { id, text, accepted: text.startsWith(fromList) ? fromList : '' });
    this.notify('coderd/didShow', { id });
  }

  /** The item's own command ran: VS Code inserted what was left of it. */
  acceptedAll(id: string): void {
    for (const [uri, s] of this.current) {
      if (s.id === id) {
        const rest = s.text.startsWith(s.accepted) ? s.text.slice(s.accepted.length) : s.text;
        this.current.delete(uri);
        this.notify('coderd/didAccept', { id, kind: 'all', acceptedText: rest });
        return;
      }
    }
    // Not tracked (shown before a restart, say): still tell the server it was taken.
    this.notify('coderd/didAccept', { id, kind: 'all', acceptedText: '' });
  }

  /** A word or line of the suggestion on screen in `uri` was inserted. */
  acceptedPart(uri: string, kind: 'word' | 'line', text: string): void {
    const s = this.current.get(uri);
    if (!s || text === '') {
      return;
    }
    s.accepted += text;
    this.notify('coderd/didAccept', { id: s.id, kind, acceptedText: text });
    if (s.accepted === s.text) {
      this.current.delete(uri); // nothing left on screen
    }
  }

  /** Dismissed with Escape. */
  rejected(uri: string): void {
    const s = this.current.get(uri);
    if (s) {
      this.current.delete(uri);
      this.notify('coderd/didReject', { id: s.id });
    }
  }

  /** What is left on screen of the suggestion in `uri` (for accept-line without VS Code's command). */
  remaining(uri: string): string | undefined {
    const s = this.current.get(uri);
    if (!s || !s.text.startsWith(s.accepted)) {
      return undefined;
    }
    return s.text.slice(s.accepted.length);
  }

  forget(uri: string): void {
    this.current.delete(uri);
  }
}
