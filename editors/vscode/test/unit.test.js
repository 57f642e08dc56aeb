// Unit tests of the extension's editor-independent logic (no `vscode` module needed):
//   npm run compile && npm test          (node --test; Node 20 or later)
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { enabledFor, insertedText, nextLine } = require('../out/enablement');
const { SuggestionTracker } = require('../out/tracker');

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
