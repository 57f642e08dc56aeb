// Unit tests of the extension's editor-independent logic (no `vscode` module needed):
//   npm run compile && npm test          (node --test; Node 20 or later)
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { enabledFor, insertedText, nextLine } = require('../out/enablement');
const { SuggestionTracker } = require('../out/tracker');
const { CursorReporter } = require('../out/cursor');
const { locateServer, notFoundMessage } = require('../out/locate');
const { Notices } = require('../out/notices');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

test('coderd.enable: per language, "*" as the default, a plain boolean for all', () => {
  const setting = { '*': true, plaintext: false };
  assert.equal(enabledFor('python', setting), true);
  assert.equal(enabledFor('plaintext', setting), false);
  assert.equal(enabledFor('python', { '*': false, python: true }), true);
  assert.equal(enabledFor('rust', { '*': false, python: true }), false);
  assert.equal(enabledFor('rust', { python: false }), true); // no "*": on
  assert.equal(enabledFor('rust', false), false);
  assert.equal(enabledFor('rust', undefined), true);
  assert.equal(enabledFor('rust', { rust: 'yes' }), true); // not a boolean: ignored
});

test('insertedText finds what one edit inserted', () => {
  assert.equal(insertedText('total = ', 'total = price'), 'price');
  assert.equal(insertedText('a\n\nb', 'a\nx = 1\n\nb'), 'x = 1\n');
  assert.equal(insertedText('aa', 'aaa'), 'a');
  assert.equal(insertedText('same', 'same'), '');
  assert.equal(insertedText('longer', 'short'), '');
});

test('nextLine keeps the newline, or takes all of a last line', () => {
  assert.equal(nextLine('total = a + b\n    return total'), 'total = a + b\n');
  assert.equal(nextLine('return total'), 'return total');
});

function at(uri, line, character) {
  return { textDocument: { uri }, position: { line, character } };
}

test('coderd/didMoveCursor: sent for another line or document, never for a column', () => {
  const sent = [];
  const cursor = new CursorReporter((params) => sent.push(params));
  assert.equal(cursor.moved(at('file:///a.py', 0, 0)), true); // the first place
  assert.equal(cursor.moved(at('file:///a.py', 0, 7)), false); // a column of the same line
  assert.equal(cursor.moved(at('file:///a.py', 69, 4)), true); // a jump
  assert.equal(cursor.moved(at('file:///a.py', 70, 4)), true); // the next line (arrow key)
  assert.equal(cursor.moved(at('file:///b.py', 70, 4)), true); // another document, same line
  assert.equal(cursor.moved(at('file:///a.py', 70, 4)), true); // back: another document again
  assert.equal(cursor.moved(at('file:///a.py', 70, 0)), false);
  assert.deepEqual(sent, [
    at('file:///a.py', 0, 0), at('file:///a.py', 69, 4), at('file:///a.py', 70, 4),
    at('file:///b.py', 70, 4), at('file:///a.py', 70, 4),
  ]);
});

test('coderd/didMoveCursor: a new server is told the place again; an unwanted document is not', () => {
  const sent = [];
  const cursor = new CursorReporter((params) => sent.push(params));
  cursor.moved(at('file:///a.py', 3, 1));
  cursor.reset(); // the server restarted
  assert.equal(cursor.moved(at('file:///a.py', 3, 1)), true);
  let asked = 0;
  const off = () => { asked += 1; return false; };
  assert.equal(cursor.moved(at('file:///notes.txt', 0, 0), off), false); // coderd.enable: off
  assert.equal(cursor.moved(at('file:///a.py', 3, 2), off), false); // same line: not even asked
  assert.equal(asked, 1);
  assert.equal(cursor.moved(at('file:///notes.txt', 0, 0)), true); // turned on: sent
  assert.deepEqual(sent, [at('file:///a.py', 3, 1), at('file:///a.py', 3, 1), at('file:///notes.txt', 0, 0)]);
});

function recorder() {
  const sent = [];
  return { sent, tracker: new SuggestionTracker((method, params) => sent.push([method, params])) };
}

test('shown once per id, then accepted by word and the rest with the item command', () => {
  const { sent, tracker } = recorder();
  tracker.shown('file:///a.py', 's1', 'price * quantity');
  tracker.shown('file:///a.py', 's1', 'price * quantity'); // asked again: same suggestion
  tracker.acceptedPart('file:///a.py', 'word', 'price');
  assert.equal(tracker.remaining('file:///a.py'), ' * quantity');
  tracker.acceptedAll('s1');
  assert.deepEqual(sent, [
    ['coderd/didShow', { id: 's1' }],
    ['coderd/didAccept', { id: 's1', kind: 'word', acceptedText: 'price' }],
    ['coderd/didAccept', { id: 's1', kind: 'all', acceptedText: ' * quantity' }],
  ]);
  assert.equal(tracker.remaining('file:///a.py'), undefined);
});

test('beside the suggest widget, the selected item is the list\'s, not part of what is accepted', () => {
  const { sent, tracker } = recorder();
  tracker.shown('u', 's9', 'Litestar(debug=True)', 'Litestar'); // Tab takes the item, Tab the rest
  tracker.acceptedAll('s9');
  assert.deepEqual(sent, [
    ['coderd/didShow', { id: 's9' }],
    ['coderd/didAccept', { id: 's9', kind: 'all', acceptedText: '(debug=True)' }],
  ]);
});

test('Escape rejects the suggestion on screen, once; no id, no notifications', () => {
  const { sent, tracker } = recorder();
  tracker.shown('file:///a.py', 's7', 'x');
  tracker.rejected('file:///a.py');
  tracker.rejected('file:///a.py');
  tracker.shown('file:///b.py', undefined, 'y'); // a server that names no suggestions
  tracker.acceptedPart('file:///b.py', 'word', 'y');
  tracker.rejected('file:///b.py');
  assert.deepEqual(sent, [['coderd/didShow', { id: 's7' }], ['coderd/didReject', { id: 's7' }]]);
});

test('accepting a suggestion word by word to its end closes it', () => {
  const { sent, tracker } = recorder();
  tracker.shown('u', 's2', 'a b');
  tracker.acceptedPart('u', 'word', 'a ');
  tracker.acceptedPart('u', 'word', 'b');
  tracker.rejected('u'); // nothing left on screen to reject
  assert.deepEqual(sent.map(([m, p]) => `${m} ${p.kind ?? ''} ${p.acceptedText ?? ''}`), [
    'coderd/didShow  ', 'coderd/didAccept word a ', 'coderd/didAccept word b',
  ]);
});

// -- finding coderd ---------------------------------------------------------------------------

const homes = [];
test.after(() => homes.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A scratch home with executable files at the given paths (relative to it). */
function home(...files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderd-locate-'));
  homes.push(dir);
  for (const f of files) {
    fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '#!/bin/sh\n', { mode: 0o755 });
  }
  return dir;
}

test('coderd in ~/.local/bin (pipx) is found when the extension host PATH lacks it', () => {
  const h = home('.local/bin/coderd');
  const found = locateServer({ command: 'coderd', envPath: '/usr/bin:/bin', home: h, env: {}, platform: 'linux' });
  assert.equal(found.program, path.join(h, '.local/bin/coderd'));
  assert.equal(found.via, 'pipx');
});

test('PATH comes first; then pipx folders; a file that is not executable does not count', () => {
  const h = home('.local/bin/coderd', 'bin1/coderd');
  const onPath = locateServer({ command: 'coderd', envPath: `${h}/bin1`, home: h, env: {}, platform: 'linux' });
  assert.equal(onPath.program, path.join(h, 'bin1/coderd'));
  assert.equal(onPath.via, 'PATH');
  fs.chmodSync(path.join(h, 'bin1/coderd'), 0o644);
  const skipped = locateServer({ command: 'coderd', envPath: `${h}/bin1`, home: h, env: {}, platform: 'linux' });
  assert.equal(skipped.program, path.join(h, '.local/bin/coderd'));
});

test("pipx's own venv and PIPX_BIN_DIR are looked in", () => {
  const h = home('.local/share/pipx/venvs/coderd/bin/coderd', 'pipxbin/coderd');
  const venv = locateServer({ command: 'coderd', envPath: '', home: h, env: {}, platform: 'linux' });
  assert.equal(venv.program, path.join(h, '.local/share/pipx/venvs/coderd/bin/coderd'));
  const bin = locateServer({ command: 'coderd', envPath: '', home: h, env: { PIPX_BIN_DIR: `${h}/pipxbin` }, platform: 'linux' });
  assert.equal(bin.program, path.join(h, 'pipxbin/coderd'));
});

test('coderd.venv names the virtual environment; a wrong one is reported, not bypassed', () => {
  const h = home('venvs/cd/bin/coderd', '.local/bin/coderd');
  const found = locateServer({ command: 'coderd', venv: '~/venvs/cd', envPath: '', home: h, env: {}, platform: 'linux' });
  assert.equal(found.program, path.join(h, 'venvs/cd/bin/coderd'));
  const wrong = locateServer({ command: 'coderd', venv: '~/venvs/none', envPath: '', home: h, env: {}, platform: 'linux' });
  assert.equal(wrong.program, undefined);
  assert.match(notFoundMessage('coderd', wrong, h), /coderd\.venv has no ~\/venvs\/none\/bin\/coderd/);
});

test('a path in coderd.serverCommand (~ allowed) is used as given', () => {
  const h = home('tools/coderd', '.local/bin/coderd');
  const found = locateServer({ command: '~/tools/coderd', envPath: '', home: h, env: {}, platform: 'linux' });
  assert.equal(found.program, path.join(h, 'tools/coderd'));
  const missing = locateServer({ command: '/nowhere/coderd', envPath: '', home: h, env: {}, platform: 'linux' });
  assert.equal(missing.program, undefined);
  assert.match(notFoundMessage('/nowhere/coderd', missing, h), /"\/nowhere\/coderd" is not an executable file/);
});

test('not found: one line naming the places looked in and the fix', () => {
  const h = home();
  const missing = locateServer({ command: 'coderd', envPath: '/usr/bin', home: h, env: {}, platform: 'linux' });
  assert.equal(missing.program, undefined);
  const message = notFoundMessage('coderd', missing, h);
  assert.doesNotMatch(message, /\n/);
  assert.match(message, /"coderd" was not found on PATH nor in ~\/\.local\/bin, /);
  assert.match(message, /pipx install \/path\/to\/coderd/);
  assert.match(message, /coderd\.serverCommand/);
});

// -- messages ---------------------------------------------------------------------------------

function sink() {
  const got = { log: [], note: [], notify: [] };
  return {
    got,
    notices: new Notices({
      log: (level, m) => got.log.push(`${level}: ${m}`),
      note: (m) => got.note.push(m),
      notify: (m) => got.notify.push(m),
    }),
  };
}

test('server warnings go to the status bar and log, once per message, also from a new server', () => {
  const { got, notices } = sink();
  const warning = 'coderd: the model has no fill-in-the-middle tokens (prefix-only mode)';
  notices.fromServer(2, warning);
  notices.fromServer(2, warning); // a restarted daemon says it again
  notices.fromServer(2, 'coderd: configuration problems');
  notices.fromServer(3, 'coderd: info');
  assert.deepEqual(got.notify, []); // nothing pops up
  assert.deepEqual(got.note, [warning, 'coderd: configuration problems']);
  assert.deepEqual(got.log, [
    `warning: ${warning}`,
    `info: said again, not shown again: ${warning}`,
    'warning: coderd: configuration problems',
    'info: coderd: info',
  ]);
});

test('errors: one non-modal notification per distinct error', () => {
  const { got, notices } = sink();
  notices.fromServer(1, 'coderd: model file not found');
  notices.fromServer(1, 'coderd: model file not found');
  assert.equal(notices.error('coderd: "coderd" was not found'), true);
  assert.equal(notices.error('coderd: "coderd" was not found'), false);
  assert.deepEqual(got.notify, ['coderd: model file not found', 'coderd: "coderd" was not found']);
});

test('what runs or loads is never taken from a workspace\'s settings', () => {
  // A cloned repository's .vscode/settings.json must not pick the program the extension
  // starts, its arguments, a venv to run it from, or the model the daemon loads: VS Code
  // honours a "machine" setting from user settings only.
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  const props = manifest.contributes.configuration.properties;
  const guarded = ['coderd.serverCommand', 'coderd.serverArgs', 'coderd.venv', 'coderd.model'];
  for (const key of guarded) {
    assert.equal(props[key].scope, 'machine', key);
  }
  const untrusted = manifest.capabilities.untrustedWorkspaces;
  assert.equal(untrusted.supported, 'limited');
  assert.deepEqual([...untrusted.restrictedConfigurations].sort(), [...guarded].sort());
});
