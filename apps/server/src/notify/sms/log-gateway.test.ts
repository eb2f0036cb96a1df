import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineLog } from '../log.ts';
import { SmsSink } from './log-gateway.ts';

test('the sink logs one masked line per message and keeps the full text of the last N in memory', async () => {
  const lines: string[] = [];
  const sink = new SmsSink({ type: 'log', keep: 2 }, lineLog((l) => lines.push(l)));
  await sink.send({ to: '8 701 123 45 67', text: 'Код: 482913. Никому не сообщайте.', reference: 'otp-1', secrets: ['482913'] });
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /to="\+7\*{6}4567"/);
  assert.doesNotMatch(lines[0]!, /482913|7011234567/);
  assert.match(lines[0]!, /Код: ••••••/);
  assert.equal(sink.last('+77011234567')?.text, 'Код: 482913. Никому не сообщайте.');
  await sink.send({ to: '+77021112233', text: 'b' });
  await sink.send({ to: '+77021112233', text: 'c' });
  assert.deepEqual(sink.messages().map((m) => m.text), ['b', 'c']);
  assert.equal(sink.last('+77011234567'), undefined);
});

test('revealCodes logs codes in clear for a developer machine', async () => {
  const lines: string[] = [];
  const sink = new SmsSink({ type: 'log', revealCodes: true }, lineLog((l) => lines.push(l)));
  await sink.send({ to: '+77011234567', text: 'Код: 482913.', secrets: ['482913'] });
  assert.match(lines[0]!, /482913/);
});

test('waitFor returns a message sent just before the call, or the next one to that number', async () => {
  const sink = new SmsSink({ type: 'log' }, lineLog(() => {}));
  const since = new Date();
  await sink.send({ to: '+77011234567', text: 'first' });
  assert.equal((await sink.waitFor('87011234567', { since })).text, 'first');
  const next = sink.waitFor('+77011234567', { timeoutMs: 1000 });
  setTimeout(() => {
    void sink.send({ to: '+77770000000', text: 'other number' });
    void sink.send({ to: '+77011234567', text: 'second' });
  }, 20);
  assert.equal((await next).text, 'second');
  await assert.rejects(sink.waitFor('+77011234567', { timeoutMs: 50 }), /no SMS to \+7\*{6}4567/);
});
