// Decides when to send `coderd/didMoveCursor` (editors/PROTOCOL.md): the cursor landed on
// another line, or in another document, than the last one sent. LSP gives a server the cursor
// only inside a request, and VS Code asks for inline completions only while the user types,
// so without it the first key after a click or a file switch evaluates its whole prompt; with
// it the server prewarms the prompt there. Selection events come at every key and click: a
// comparison is all they cost when the line is the same. No `vscode` import here, so it is
// unit-tested under plain Node.

export interface CursorParams {
  textDocument: { uri: string };
  position: { line: number; character: number };
}

export class CursorReporter {
  // What the last notification said; undefined before the first, or after a server restart.
  private last: { uri: string; line: number } | undefined;

  constructor(private readonly notify: (params: CursorParams) => void) {}

  /** The cursor is at `params` (already in the protocol's position encoding). Sends it when
   * its document or line differs from the last one sent and `wanted()` (asked only then: it
   * may read settings) says the document wants it; returns whether it did. */
  moved(params: CursorParams, wanted: () => boolean = () => true): boolean {
    const { uri } = params.textDocument;
    const { line } = params.position;
    if (this.last && this.last.uri === uri && this.last.line === line) {
      return false;
    }
    if (!wanted()) {
      return false;
    }
    this.last = { uri, line };
    this.notify(params);
    return true;
  }

  /** A (re)started server knows no place yet: the next move is sent whatever its line. */
  reset(): void {
    this.last = undefined;
  }
}
