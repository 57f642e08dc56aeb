// What the server says (window/showMessage) and what the extension itself must say, routed so
// that nothing interrupts typing: warnings go to the status bar item and the output channel;
// an error that stops completions is one non-modal notification. Each distinct message is shown
// once per VS Code session, also when a restarted server (or daemon) sends it again.
// No `vscode` import here, so it is unit-tested under plain Node (test/unit.test.js).

export type Level = 'error' | 'warning' | 'info';

export interface NoticeSink {
  log(level: Level, message: string): void; // the output channel
  note(message: string): void; // the status bar item (its tooltip)
  notify(message: string): void; // one non-modal error notification
}

/** LSP MessageType: 1 Error, 2 Warning, 3 Info, 4 Log (5 Debug in 3.18). */
export function levelOf(type: number): Level {
  return type === 1 ? 'error' : type === 2 ? 'warning' : 'info';
}

export class Notices {
  private readonly seen = new Set<string>();

  constructor(private readonly sink: NoticeSink) {}

  /** window/showMessage from the server. */
  fromServer(type: number, message: string): void {
    this.say(levelOf(type), message);
  }

  /** The extension's own error (the server cannot be started, say). */
  error(message: string): boolean {
    return this.say('error', message);
  }

  /** False when the message was said before this session and so is only logged. */
  private say(level: Level, message: string): boolean {
    const key = `${level} ${message}`;
    if (this.seen.has(key)) {
      this.sink.log('info', `said again, not shown again: ${message}`);
      return false;
    }
    this.seen.add(key);
    this.sink.log(level, message);
    if (level === 'error') {
      this.sink.note(message);
      this.sink.notify(message);
    } else if (level === 'warning') {
      this.sink.note(message);
    }
    return true;
  }
}
