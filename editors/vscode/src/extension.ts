// coderd for VS Code: starts `coderd lsp` with vscode-languageclient and lets the client's
// standard inlineCompletion feature (LSP 3.18) show the ghost text. A middleware on that feature
// keeps disabled languages quiet and follows each suggestion for the optional coderd/did*
// notifications; the status bar shows the model's state and the last latency. Nothing the
// server or the client says pops up while typing (notices.ts). Where the cursor lands (another
// line or document) goes to the server as coderd/didMoveCursor (cursor.ts), to be prewarmed.
import * as vscode from 'vscode';
import {
  LanguageClient, LanguageClientOptions, Middleware, RevealOutputChannelOn, ServerOptions,
  ShowMessageNotification, State, TransportKind,
} from 'vscode-languageclient/node';

import { CursorReporter } from './cursor';
import { enabledFor, insertedText, nextLine } from './enablement';
import { locateServer, notFoundMessage } from './locate';
import { Notices } from './notices';
import { ServerStatus, StatusBar } from './statusBar';
import { SuggestionTracker } from './tracker';

const PAUSED_KEY = 'coderd.paused';
const RESTART_SETTINGS = ['coderd.serverCommand', 'coderd.serverArgs', 'coderd.model', 'coderd.venv'];
const ACCEPT_NEXT_LINE = 'editor.action.inlineSuggest.acceptNextLine';
// Every file and unsaved buffer is synced; `coderd.enable` filters requests, not sync, so
// that turning a language on needs no reopen.
const DOCUMENT_SELECTOR = [{ scheme: 'file' }, { scheme: 'untitled' }];

/** The languageclient shows its own errors as notifications ('force': even with
 * revealOutputChannelOn Never); here they go to the log and to `forced`, which says each once. */
class CoderdClient extends LanguageClient {
  forced: (message: string) => void = () => undefined;

  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, false);
    if (showNotification === 'force') this.forced(message);
  }
}

class Coderd implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly log = vscode.window.createOutputChannel('coderd', { log: true }); // languageclient >= 10 needs a LogOutputChannel
  private readonly tracker = new SuggestionTracker((method, params) => {
    // Accepts and rejects are user actions, rare enough for the info level; shows are not.
    const line = `${method} ${JSON.stringify(params)}`;
    if (method === 'coderd/didShow') this.log.debug(line); else this.log.info(line);
    if (this.client?.state === State.Running) {
      void this.client.sendNotification(method, params).catch(() => undefined);
    }
  });
  private readonly cursor = new CursorReporter((params) => {
    this.log.debug(`coderd/didMoveCursor ${JSON.stringify(params)}`);
    void this.client?.sendNotification('coderd/didMoveCursor', params).catch(() => undefined);
  });
  private readonly status = new StatusBar(() => this.client?.state === State.Running
    ? this.client.sendRequest<ServerStatus>('coderd/status') : Promise.resolve(undefined));
  private readonly notices = new Notices({
    log: (level, message) => this.log[level === 'warning' ? 'warn' : level](message),
    note: (message) => this.status.addNote(message),
    notify: (message) => {
      const settings = 'Open Settings';
      const log = 'Show Log';
      void vscode.window.showErrorMessage(message, settings, log).then((pick) => {
        if (pick === settings) void vscode.commands.executeCommand('workbench.action.openSettings', 'coderd');
        if (pick === log) this.log.show(true);
      });
    },
  });
  private hasAcceptNextLine = false;
  private starting = false;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.status.setPaused(this.paused);
  }

  get paused(): boolean {
    return this.context.globalState.get<boolean>(PAUSED_KEY, false);
  }

  async activate(): Promise<void> {
    const c = this.context;
    const command = (name: string, fn: (...args: any[]) => unknown) =>
      c.subscriptions.push(vscode.commands.registerCommand(name, fn));
    command('coderd.toggle', () => this.toggle());
    command('coderd.trigger', () => vscode.commands.executeCommand('editor.action.inlineSuggest.trigger'));
    command('coderd.acceptWord', () => this.acceptPart('word'));
    command('coderd.acceptLine', () => this.acceptPart('line'));
    command('coderd.dismiss', () => this.dismiss());
    command('coderd.accepted', (arg?: { id?: unknown }) => {
      if (typeof arg?.id === 'string') this.tracker.acceptedAll(arg.id);
    });
    command('coderd.restart', () => this.restart());
    command('coderd.showLog', () => this.log.show());
    c.subscriptions.push(
      this.log, this.status, this,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) void this.restart();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.tracker.forget(d.uri.toString())),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor === vscode.window.activeTextEditor) this.cursorMoved(e.textEditor);
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.cursorMoved(editor)),
    );
    // acceptNextLine is not in every VS Code; without it coderd.acceptLine inserts the line itself.
    this.hasAcceptNextLine = (await vscode.commands.getCommands(true)).includes(ACCEPT_NEXT_LINE);
    await this.start();
  }

  private async start(): Promise<void> {
    const cfg = vscode.workspace.getConfiguration('coderd');
    const command = cfg.get<string>('serverCommand', 'coderd') || 'coderd';
    const args = cfg.get<string[]>('serverArgs', ['lsp']);
    const model = cfg.get<string>('model', '');
    const located = locateServer({ command, venv: cfg.get<string>('venv', '') });
    this.log.info(`looking for ${command}: ${located.program ?? 'not found'} (${located.tried.join(', ')})`);
    if (!located.program) {
      this.notices.error(notFoundMessage(command, located));
      return;
    }
    const serverOptions: ServerOptions = { command: located.program, args, transport: TransportKind.stdio };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      initializationOptions: model ? { model: { path: model } } : undefined,
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never, // the output panel must not take focus
      middleware: this.middleware(),
    };
    // The id 'coderd' makes the client read `coderd.trace.server` itself.
    const client = new CoderdClient('coderd', 'coderd', serverOptions, clientOptions);
    this.client = client;
    // A start failure is said once below, with the fix; later ones (the server crashed five
    // times, say) as they come, each once.
    client.forced = (message) => {
      if (!this.starting) this.notices.error(`coderd: ${message}`);
    };
    // Before start(): the handler is in place before the client sends `initialized`.
    client.onNotification(ShowMessageNotification.type, (m) => this.notices.fromServer(m.type, m.message));
    client.onDidChangeState((e) => {
      this.status.setRunning(e.newState === State.Running);
      if (e.newState === State.Running) {
        this.log.info(`running ${located.program}`);
        // A new server knows no place yet: tell it where the cursor is now.
        this.cursor.reset();
        this.cursorMoved(vscode.window.activeTextEditor);
      }
    });
    this.log.info(`starting ${[located.program, ...args].join(' ')}`);
    this.starting = true;
    try {
      await client.start();
    } catch (err) {
      this.notices.error(
        `coderd: could not start "${located.program}" (${err instanceof Error ? err.message : err}). ` +
        'The coderd output (coderd: Show Log) says why; coderd.serverCommand and coderd.serverArgs say what runs.',
      );
    } finally {
      this.starting = false;
    }
  }

  private middleware(): Middleware {
    return {
      provideInlineCompletionItems: async (document, position, context, token, next) => {
        const setting = vscode.workspace.getConfiguration('coderd', document).get('enable');
        if (this.paused || !enabledFor(document.languageId, setting as any)) {
          return null; // no request at all
        }
        const result = await next(document, position, context, token);
        const items = Array.isArray(result) ? result : result?.items ?? [];
        const first = items[0];
        if (first && !token.isCancellationRequested) {
          const text = typeof first.insertText === 'string' ? first.insertText : first.insertText.value;
          const arg = first.command?.command === 'coderd.accepted' ? first.command.arguments?.[0] : undefined;
          const id = typeof arg?.id === 'string' ? arg.id : undefined;
          this.tracker.shown(document.uri.toString(), id, text, context.selectedCompletionInfo?.text);
        }
        this.status.refreshSoon();
        return result;
      },
    };
  }

  /** Tells the server where the cursor of `editor` is, when its line or document changed
   * since the last time (cursor.ts), in the position encoding of the inline requests. */
  private cursorMoved(editor: vscode.TextEditor | undefined): void {
    const client = this.client;
    if (!editor || this.paused || client?.state !== State.Running) return;
    const doc = editor.document;
    // Only documents the client syncs; their didOpen goes first (sendNotification flushes
    // pending opens).
    if (!vscode.languages.match(DOCUMENT_SELECTOR, doc)) return;
    const c2p = client.code2ProtocolConverter; // what the inline-completion feature converts with
    const params = {
      textDocument: c2p.asTextDocumentIdentifier(doc),
      position: c2p.asPosition(editor.selection.active),
    };
    // Not where requests are off: nothing would use the prewarm.
    this.cursor.moved(params, () =>
      enabledFor(doc.languageId, vscode.workspace.getConfiguration('coderd', doc).get('enable') as any));
  }

  private async toggle(): Promise<void> {
    const paused = !this.paused;
    await this.context.globalState.update(PAUSED_KEY, paused);
    this.status.setPaused(paused);
    if (paused) await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
    this.log.info(`completions ${paused ? 'off' : 'on'}`);
  }

  /** Accept a word or a line of the suggestion on screen, and tell the server what went in. */
  private async acceptPart(kind: 'word' | 'line'): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const doc = editor.document;
    const uri = doc.uri.toString();
    const before = doc.getText();
    if (kind === 'word') {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.acceptNextWord');
    } else if (this.hasAcceptNextLine) {
      await vscode.commands.executeCommand(ACCEPT_NEXT_LINE);
    } else {
      const rest = this.tracker.remaining(uri);
      if (rest === undefined) return;
      const line = nextLine(rest);
      if (line === rest) {
        // The last line is all of it: a full accept, reported by the item's own command.
        await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
        return;
      }
      await editor.edit((b) => b.insert(editor.selection.active, line));
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    }
    this.tracker.acceptedPart(uri, kind, insertedText(before, doc.getText()));
  }

  private async dismiss(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor) this.tracker.rejected(editor.document.uri.toString());
    await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
  }

  private async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.status.setRunning(false);
    if (client && client.needsStop()) {
      await client.stop().catch((err) => this.log.warn(`stopping the server: ${err}`));
    }
  }

  dispose(): void {
    void this.stop();
  }
}

let coderd: Coderd | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  coderd = new Coderd(context);
  await coderd.activate();
}

export function deactivate(): Thenable<void> | undefined {
  const c = coderd;
  coderd = undefined;
  return c?.stop();
}
