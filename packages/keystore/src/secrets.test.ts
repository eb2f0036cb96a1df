import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSecretSource, readSecret } from './secrets.ts';

test('secrets come from env:NAME or file:PATH; a file loses one trailing newline only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qoltanba-secret-'));
  try {
    process.env.QOLTANBA_TEST_SECRET = 'from-env';
    assert.equal(readSecret('env:QOLTANBA_TEST_SECRET', 'PIN'), 'from-env');
    await writeFile(join(dir, 'crlf'), 'pass phrase \r\n');
    assert.equal(readSecret(`file:${join(dir, 'crlf')}`, 'passphrase'), 'pass phrase ');
    await writeFile(join(dir, 'two'), 'x\n\n');
    assert.equal(readSecret(`file:${join(dir, 'two')}`, 'passphrase'), 'x\n');
  } finally {
    delete process.env.QOLTANBA_TEST_SECRET;
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unset variable, an empty file or a missing file is QT_ERR_SECRET_MISSING naming the source', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qoltanba-secret-'));
  try {
    assert.throws(() => readSecret('env:QOLTANBA_TEST_NOT_SET', 'PIN'), { code: 'QT_ERR_SECRET_MISSING', message: /QOLTANBA_TEST_NOT_SET/ });
    await writeFile(join(dir, 'empty'), '\n');
    assert.throws(() => readSecret(`file:${join(dir, 'empty')}`, 'PIN'), { code: 'QT_ERR_SECRET_MISSING', message: /is empty/ });
    assert.throws(() => readSecret(`file:${join(dir, 'absent')}`, 'PIN'), { code: 'QT_ERR_SECRET_MISSING', message: /ENOENT/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('only env:NAME and file:PATH are secret sources', () => {
  assert.equal(isSecretSource('env:QOLTANBA_HSM_PIN'), true);
  assert.equal(isSecretSource('file:/run/secrets/pin'), true);
  assert.equal(isSecretSource('env:'), false);
  assert.equal(isSecretSource('env:BAD-NAME'), false);
  assert.equal(isSecretSource('123456'), false);
  assert.equal(isSecretSource('|/usr/bin/get-pin'), false);
});
