/**
 * Soft key URIs: `soft:<name>`, the key living in `<dir>/<name>.key.pem` of the store's directory.
 * Names are a restricted alphabet with no path separators, so no URI can reach outside that directory.
 */
import { QtError } from '@qoltanba/pki';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const KEY_FILE_SUFFIX = '.key.pem';

export function isSoftKeyName(name: string): boolean {
  return NAME.test(name);
}

export function parseSoftUri(uri: string): string {
  if (!uri.startsWith('soft:')) throw new QtError('QT_ERR_KEY_URI_SCHEME', 'A soft key store takes soft:<name> URIs');
  const name = uri.slice('soft:'.length);
  if (!isSoftKeyName(name)) {
    throw new QtError(
      'QT_ERR_KEY_URI_MALFORMED',
      'A soft key URI is soft:<name>, the name 1-100 of A-Z a-z 0-9 . _ - starting with a letter or digit',
    );
  }
  return name;
}

export function softUri(name: string): string {
  return `soft:${name}`;
}
