// The status-bar item: the model's state (from `coderd/status`) and the last request's latency.
// A click runs `coderd.toggle`.
import * as vscode from 'vscode';

/** The part of the `coderd/status` answer shown here (editors/PROTOCOL.md). */
export interface ServerStatus {
  state: 'loading' | 'ready' | 'prefix-only' | 'failed' | 'uninitialized' | string;
  model?: string | null;
  path?: string | null;
  last?: { total_ms?: number } | null;
  problems?: string[];
  version?: string;
}

export type Fetch = () => Promise<ServerStatus | undefined>;

const LOADING_POLL_MS = 2000;
const AFTER_COMPLETION_MS = 300;

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private status: ServerStatus | undefined;
  private running = false;
  private paused = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly notes: string[] = []; // the server's warnings, and errors (notices.ts)

  constructor(private readonly fetch: Fetch) {
    this.item = vscode.window.createStatusBarItem('coderd.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'coderd';
    this.item.command = 'coderd.toggle';
    this.render();
    this.item.show();
  }

  setRunning(running: boolean): void {
    this.running = running;
    if (!running) {
      this.status = undefined;
    }
    this.render();
    if (running) {
      this.refreshSoon(0);
    }
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.render();
  }

  /** A warning or error to keep in the tooltip (and a warning icon) for this session. */
  addNote(message: string): void {
    if (!this.notes.includes(message)) this.notes.push(message);
    this.render();
  }

  /** Ask the server again after `delayMs` (coalesced: one pending refresh at a time). */
  refreshSoon(delayMs = AFTER_COMPLETION_MS): void {
    if (this.timer !== undefined) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }

  private async refresh(): Promise<void> {
    if (!this.running) {
      return;
    }
    try {
      this.status = await this.fetch();
    } catch {
      this.status = undefined; // the server is restarting or gone; the client logs why
    }
    this.render();
    if (this.status && (this.status.state === 'loading' || this.status.state === 'uninitialized')) {
      this.refreshSoon(LOADING_POLL_MS);
    }
  }

  private render(): void {
    const s = this.status;
    const ms = s?.last?.total_ms;
    const latency = typeof ms === 'number' ? `${Math.round(ms)} ms` : '';
    let icon = '$(sparkle)';
    let words: string;
    if (this.paused) {
      icon = '$(circle-slash)';
      words = 'off';
    } else if (!this.running) {
      icon = '$(debug-disconnect)';
      words = 'stopped';
    } else if (!s) {
      icon = '$(loading~spin)';
      words = 'starting';
    } else if (s.state === 'ready') {
      words = latency || 'ready';
      if (this.notes.length) icon = '$(warning)';
    } else if (s.state === 'prefix-only') {
      words = latency ? `prefix-only ${latency}` : 'prefix-only';
      if (this.notes.length) icon = '$(warning)';
    } else if (s.state === 'failed') {
      icon = '$(error)';
      words = 'failed';
    } else {
      icon = '$(loading~spin)';
      words = s.state;
    }
    this.item.text = `${icon} coderd: ${words}`;
    this.item.backgroundColor = s?.state === 'failed' && !this.paused
      ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const lines = [
      `coderd ${s?.version ?? ''}`.trim(),
      `state: ${this.paused ? 'off (completions paused)' : s?.state ?? (this.running ? 'starting' : 'stopped')}`,
    ];
    if (s?.model) lines.push(`model: ${s.model}`);
    if (s?.path) lines.push(`path: ${s.path}`);
    if (latency) lines.push(`last completion: ${latency}`);
    for (const p of s?.problems ?? []) lines.push(`problem: ${p}`);
    for (const n of this.notes) lines.push(`said: ${n}`);
    lines.push('', `Click to turn completions ${this.paused ? 'on' : 'off'}`);
    this.item.tooltip = lines.join('\n');
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.item.dispose();
  }
}
