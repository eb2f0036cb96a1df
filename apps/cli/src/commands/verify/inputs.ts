/** Reading what `verify` is given: files that may hold one or many certificates, in PEM, DER or base64. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QtError, derFrom, isPem, parsePemBlocks, toBytes, type Bytes } from '@qoltanba/pki';

export function readInput(path: string): Bytes {
  if (!existsSync(path)) throw new QtError('QT_ERR_INPUT_INVALID', `No such file: ${path}`);
  return toBytes(readFileSync(path));
}

/** Every certificate in a file: all CERTIFICATE blocks of a PEM bundle, or the one DER/base64 certificate. */
export function readCertificates(path: string): Bytes[] {
  const data = readInput(path);
  if (isPem(data)) {
    const blocks = parsePemBlocks(new TextDecoder().decode(data)).filter((b) => b.label === 'CERTIFICATE');
    if (blocks.length === 0) throw new QtError('QT_ERR_PEM_MALFORMED', `${path} holds no CERTIFICATE block`);
    return blocks.map((b) => b.der);
  }
  return [derFrom(data)];
}

/** The CA certificates of the local CA (`$QOLTANBA_HOME/ca/*.crt`), trusted when no --ca is given. */
export function homeCaCertificates(home: string): Bytes[] {
  const dir = join(home, 'ca');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.crt'))
    .sort()
    .flatMap((f) => readCertificates(join(dir, f)));
}

/** "2022-03-01", "2022-03-01T12:00:00Z" or a Unix time in seconds. */
export function parseInstant(text: string): Date {
  const d = /^\d+$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (Number.isNaN(d.getTime())) throw new QtError('QT_ERR_INPUT_INVALID', `--at must be a date such as 2022-03-01 or 2022-03-01T12:00:00Z, not "${text}"`);
  return d;
}
