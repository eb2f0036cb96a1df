/**
 * RFC 7512 PKCS#11 URIs: `pkcs11:token=Qoltanba%20CA;object=issuing-ca-2026?module-path=/usr/lib/…&pin-source=env:PIN`.
 *
 * Unknown attributes are refused rather than ignored: a misspelt `objekt=` would otherwise widen the
 * match to every key on the token. Error messages name attributes, never values, because a URI may
 * carry a PIN.
 */
import { QtError, type Bytes } from '@qoltanba/pki';

export type Pkcs11ObjectType = 'private' | 'public' | 'cert' | 'secret-key' | 'data';

export interface Pkcs11Uri {
  // Token and slot selection
  token?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  slotId?: number;
  slotDescription?: string;
  slotManufacturer?: string;
  // Object selection
  object?: string;
  id?: Bytes;
  type?: Pkcs11ObjectType;
  // Query: how to reach the token
  modulePath?: string;
  pinSource?: string;
  pinValue?: string;
}

const textPathAttributes = {
  token: 'token',
  manufacturer: 'manufacturer',
  serial: 'serial',
  model: 'model',
  'slot-description': 'slotDescription',
  'slot-manufacturer': 'slotManufacturer',
  object: 'object',
} as const;
const queryAttributes = { 'module-path': 'modulePath', 'pin-source': 'pinSource', 'pin-value': 'pinValue' } as const;
const objectTypes: readonly Pkcs11ObjectType[] = ['private', 'public', 'cert', 'secret-key', 'data'];
/** RFC 7512 attributes we understand but do not act on; refused with a pointer to what to use instead. */
const unsupported: Record<string, string> = {
  'library-manufacturer': 'give module-path instead',
  'library-description': 'give module-path instead',
  'library-version': 'give module-path instead',
  'module-name': 'give module-path instead',
};

function malformed(message: string): QtError {
  return new QtError('QT_ERR_KEY_URI_MALFORMED', `PKCS#11 URI: ${message}`);
}

function percentDecode(value: string, attribute: string): Bytes {
  const out: number[] = [];
  const raw = new TextEncoder().encode(value);
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] as number;
    if (byte !== 0x25) {
      out.push(byte);
      continue;
    }
    const hex = String.fromCharCode(raw[i + 1] ?? 0, raw[i + 2] ?? 0);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw malformed(`bad percent-encoding in ${attribute}`);
    out.push(parseInt(hex, 16));
    i += 2;
  }
  return new Uint8Array(out);
}

function decodeText(value: string, attribute: string): string {
  const bytes = percentDecode(value, attribute);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw malformed(`${attribute} is not UTF-8 after percent-decoding`);
  }
}

function splitAttribute(part: string): [string, string] {
  const eq = part.indexOf('=');
  if (eq <= 0) throw malformed('each attribute must be name=value');
  return [part.slice(0, eq), part.slice(eq + 1)];
}

export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!/^pkcs11:/i.test(uri)) throw new QtError('QT_ERR_KEY_URI_SCHEME', 'A PKCS#11 URI starts with pkcs11:');
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  const result: Pkcs11Uri = {};
  const seen = new Set<string>();
  const once = (name: string): void => {
    if (seen.has(name)) throw malformed(`${name} appears twice`);
    seen.add(name);
  };

  for (const part of path ? path.split(';') : []) {
    const [name, value] = splitAttribute(part);
    once(name);
    if (name in textPathAttributes) {
      result[textPathAttributes[name as keyof typeof textPathAttributes]] = decodeText(value, name);
    } else if (name === 'id') {
      result.id = percentDecode(value, name);
    } else if (name === 'slot-id') {
      if (!/^\d+$/.test(value)) throw malformed('slot-id must be a decimal number');
      result.slotId = Number(value);
    } else if (name === 'type') {
      const type = decodeText(value, name);
      if (!objectTypes.includes(type as Pkcs11ObjectType)) throw malformed(`type must be one of ${objectTypes.join(', ')}`);
      result.type = type as Pkcs11ObjectType;
    } else if (name in unsupported) {
      throw malformed(`${name} is not supported; ${unsupported[name]}`);
    } else if (!name.startsWith('x-')) {
      throw malformed(`unknown attribute ${name}`);
    }
  }
  for (const part of query ? query.split('&') : []) {
    const [name, value] = splitAttribute(part);
    once(name);
    if (name in queryAttributes) {
      result[queryAttributes[name as keyof typeof queryAttributes]] = decodeText(value, name);
    } else if (name in unsupported) {
      throw malformed(`${name} is not supported; ${unsupported[name]}`);
    } else if (!name.startsWith('x-')) {
      throw malformed(`unknown query attribute ${name}`);
    }
  }
  if (result.pinSource !== undefined && result.pinValue !== undefined) throw malformed('give pin-source or pin-value, not both');
  return result;
}

/** RFC 7512's pk11-pchar and pk11-qchar: what may stand unencoded in the path and in the query. */
const PATH_CHAR = /[A-Za-z0-9\-._~:[\]@!$'()*+,=]/;
const QUERY_CHAR = /[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]/;

function percentEncode(bytes: Uint8Array, keep: RegExp | undefined): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out += keep && byte < 0x80 && keep.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const encodeText = (text: string, keep: RegExp): string => percentEncode(new TextEncoder().encode(text), keep);

/**
 * Formats a URI. `pin-value` is never written: a URI we produce may end up in a log or a config file,
 * and the PIN's place is a pin-source.
 */
export function formatPkcs11Uri(uri: Pkcs11Uri): string {
  const path: string[] = [];
  const text = (name: string, value: string | undefined): void => {
    if (value !== undefined) path.push(`${name}=${encodeText(value, PATH_CHAR)}`);
  };
  text('token', uri.token);
  text('manufacturer', uri.manufacturer);
  text('serial', uri.serial);
  text('model', uri.model);
  if (uri.slotId !== undefined) path.push(`slot-id=${uri.slotId}`);
  text('slot-description', uri.slotDescription);
  text('slot-manufacturer', uri.slotManufacturer);
  text('object', uri.object);
  // RFC 7512 advises encoding every id byte, since ids are binary.
  if (uri.id !== undefined) path.push(`id=${percentEncode(uri.id, undefined)}`);
  text('type', uri.type);
  const query: string[] = [];
  if (uri.modulePath !== undefined) query.push(`module-path=${encodeText(uri.modulePath, QUERY_CHAR)}`);
  if (uri.pinSource !== undefined) query.push(`pin-source=${encodeText(uri.pinSource, QUERY_CHAR)}`);
  return `pkcs11:${path.join(';')}${query.length ? `?${query.join('&')}` : ''}`;
}

/** A URI safe to show in messages: the same selection, no PIN. */
export function describePkcs11Uri(uri: Pkcs11Uri): string {
  return formatPkcs11Uri({ ...uri, modulePath: undefined, pinSource: undefined, pinValue: undefined });
}
