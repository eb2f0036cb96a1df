import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCatalog, type QtErrorCode } from '@qoltanba/pki';
import { httpStatusFor, mappedCodes } from './error-status.ts';

test('every error code in the catalogue has a deliberate HTTP status', () => {
  const missing = Object.keys(errorCatalog).filter((c) => !mappedCodes().has(c));
  assert.deepEqual(missing, [], `codes without an HTTP status: ${missing.join(', ')}`);
});

test('malformed input is 400, refusals by policy 422, oversize 413, an unreachable database 503', () => {
  const s = (c: QtErrorCode) => httpStatusFor(c);
  assert.deepEqual(
    [s('QT_ERR_CSR_MALFORMED'), s('QT_ERR_KEY_WEAK'), s('QT_ERR_TOO_LARGE'), s('QT_ERR_STORE_UNAVAILABLE')],
    [400, 422, 413, 503],
  );
});
