// Helpers of the VS Code end-to-end test (e2e.js): ports and short temp paths, settings, the
// daemon, waiting, and what it does in the browser page: reading the ghost text, the status bar,
// notifications and the extension's log, opening files, running commands.
'use strict';

const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const WAIT_MS = 30000; // generous: a shared 2-core machine
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

function writeWorkspaceSettings(ws, settings) {
  fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** User settings: the run's fixed ones and `coderd` (the server to start). */
function writeSettings(userDir, coderd) {
  fs.writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify(userSettings(coderd), null, 2));
  // code-server's window is a remote one: machine-scoped settings count from the remote
  // settings (<user-data>/Machine), and from the user's only now and then (seen both ways).
  const machine = path.join(userDir, '..', 'Machine');
  fs.mkdirSync(machine, { recursive: true });
  fs.writeFileSync(path.join(machine, 'settings.json'), JSON.stringify(coderd, null, 2));
}

/** The same, changed while VS Code runs: written to disk, then the window reloaded (VS Code
 *  reads user settings again; code-server does not notice the file changing by itself). The
 *  coderd settings that choose what runs are machine-scoped: a workspace cannot set them. */
async function setUserSettings(page, userDir, coderd) {
  writeSettings(userDir, coderd);
  // A mark on the old page tells when the reload happened: on a loaded machine the command
  // palette can swallow the command (seen once in 7 runs), so it is asked again.
  const reloaded = async () => page.evaluate(() => !window.coderdBeforeReload).catch(() => false);
  for (let attempt = 1; ; attempt++) {
    await page.evaluate(() => { window.coderdBeforeReload = true; });
    await runCommand(page, 'Developer: Reload Window');
    try {
      await until('the window reloaded', reloaded, 15000, 250);
      break;
    } catch (err) {
      if (attempt === 2) throw err;
      log('the window did not reload; running the command again');
    }
  }
  await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
  await watchPopups(page); // a new page: the popup watcher starts again
}

function userSettings(coderd) {
  return {
    ...coderd,
    'coderd.enable': { '*': true, plaintext: false },
    'editor.inlineSuggest.enabled': true,
    // NB: "chat.disableAIFeatures": true would turn inline suggestions off entirely.
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    // Nothing else may claim Tab or add text: no suggest widget unless asked for (Ctrl+Space,
    // with the current document's words), no auto-closing, no auto-save.
    'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
    'editor.suggestOnTriggerCharacters': false,
    'editor.wordBasedSuggestions': 'currentDocument',
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
  };
}

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

/** Waits for a line of the extension's log (<user-data>/logs/<ts>/exthost1/coderd.coderd/coderd.log),
 * `logs` being <user-data>/logs. */
function logExpecter(logs) {
  const read = () => {
    const files = [];
    const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else if (e.name === 'coderd.log') files.push(p);
    });
    walk(logs);
    return files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  };
  const expectLog = async (pattern, timeoutMs = 10000) => {
    let text = '';
    try {
      const m = await until(`${pattern} in the extension's log`, () => pattern.exec(text = read()), timeoutMs, 250);
      log(`extension log: ${m[0]}`);
      return m;
    } catch (err) {
      throw new Error(`${err.message}; the log:\n${text}`);
    }
  };
  expectLog.count = (pattern) => (read().match(new RegExp(pattern.source, 'gm')) || []).length;
  return expectLog;
}

/** The pids of the coderd daemons whose HOME is `home` (this run's: other tests' daemons may
 * run on the same machine). */
function daemonPids(home) {
  const pids = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let args;
    let env;
    try {
      args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    if (args.some((a) => a.endsWith('fake_server.py')) && args.includes('serve') && env.includes(`HOME=${home}`)) {
      pids.push(Number(pid));
    }
  }
  return pids;
}

/** SIGKILL for this run's coderd daemon; its pid. */
function killDaemon(home) {
  const [pid] = daemonPids(home);
  if (pid === undefined) throw new Error(`no coderd daemon with HOME=${home}`);
  process.kill(pid, 'SIGKILL');
  return pid;
}

function expectEqual(what, got, want) {
  if (got !== want) throw new Error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  log(`${what}: ${JSON.stringify(got)}`);
}

/** Records every notification toast and modal dialog from now on (they may hide by themselves). */
async function watchPopups(page) {
  await page.evaluate(() => {
    window.coderdPopups = [];
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) {
          if (n.nodeType === 1 && n.matches('.notification-toast-container, .monaco-dialog-box')) {
            window.coderdPopups.push(n);
          }
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
}

/** The text of each toast or dialog that has appeared so far that mentions coderd. */
async function coderdPopups(page) {
  return page.evaluate(() => window.coderdPopups.map((n) => {
    const copy = n.cloneNode(true);
    copy.querySelectorAll('style').forEach((style) => style.remove()); // the list's own CSS
    return copy.textContent;
  }).filter((t) => /coderd/i.test(t)));
}

async function expectNoPopup(page, when) {
  const popups = await coderdPopups(page);
  if (popups.length) throw new Error(`a notification interrupted typing (${when}): ${JSON.stringify(popups)}`);
  log(`no coderd notification ${when}`);
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input', { timeout: WAIT_MS });
  await page.keyboard.type(title);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: WAIT_MS });
  await row.click();
}

module.exports = {
  writeSettings, setUserSettings, writeWorkspaceSettings, killDaemon, daemonPids, freePort, httpUp, shortTmp, removeShortTmp,
  WAIT_MS, log, sleep, until, ghostText, settledGhost, statusBarText, open, saveAndRead,
  logExpecter, expectEqual, watchPopups, coderdPopups, expectNoPopup, runCommand,
};
