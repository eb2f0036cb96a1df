/** Reading what `verify` is given: the file to verify, evidence files, and the time to judge as of. */
import { existsSync, readFileSync } from 'node:fs';
import { QtError, toBytes, type Bytes } from '@qoltanba/pki';

export function readInput(path: string): Bytes {
  if (!existsSync(path)) throw new QtError('QT_ERR_INPUT_INVALID', `No such file: ${path}`);
  return toBytes(readFileSync(path));
}

/** "2022-03-01", "2022-03-01T12:00:00Z" or a Unix time in seconds. */
export function parseInstant(text: string): Date {
  const d = /^\d+$/.test(text) ? new Date(Number(text) * 1000) : new Date(text);
  if (Number.isNaN(d.getTime())) throw new QtError('QT_ERR_INPUT_INVALID', `--at must be a date such as 2022-03-01 or 2022-03-01T12:00:00Z, not "${text}"`);
  return d;
}

/** "http://crl.pki.gov.kz/=http://mirror.local/nca/" → [from, to]. */
export function parseMirror(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new QtError('QT_ERR_INPUT_INVALID', `--mirror must be <url prefix>=<replacement>, not "${text}"`);
  return [text.slice(0, at), text.slice(at + 1)];
}
