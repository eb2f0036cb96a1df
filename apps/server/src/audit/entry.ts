/**
 * What may enter the audit log, checked before anything is written.
 *
 * Callers put in `details` what an auditor needs to reconstruct a decision: identifiers (IIN, BIN,
 * certificate serial, CA name, application id), profile and kind, reasons and outcomes, counts, request
 * ids, fingerprints and hashes, public certificate data. Never secrets: no passwords, PINs, PUKs,
 * one-time codes, passphrases or private keys — not even hashed, since a hash of a 6-digit PIN is the
 * PIN. The guard below refuses the obvious cases: keys named like secrets, and by value PEM private keys
 * and PKCS#11 URIs carrying a pin-value. It cannot recognise a secret under an innocent name, so
 * callers stay responsible.
 */
import { QtError } from '@qoltanba/pki';
import type { JsonObject, JsonValue } from '../store/schema.ts';

export interface AuditEntry {
  /** Who acted: 'operator:<login>', 'citizen:<IIN>', 'system:<component>'. */
  actor: string;
  /** What happened, as dotted lower-case words: 'certificate.issued', 'application.rejected'. */
  action: string;
  /** What it happened to: 'certificate:<ca>/<serial>', 'application:<uuid>', 'subject:<IIN>'. */
  target?: string | undefined;
  details: Readonly<Record<string, unknown>>;
}

export interface CheckedEntry {
  actor: string;
  action: string;
  target: string | null;
  details: JsonObject;
}

const MAX_DETAILS_BYTES = 64 * 1024;
const MAX_DEPTH = 32;
const ACTION = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;
// Key names, lower-cased with everything but letters and digits removed.
const SECRET_SUBSTRINGS = ['password', 'passwd', 'passphrase', 'privatekey', 'secret'];
const SECRET_ENDINGS = ['pin', 'puk', 'otp'];
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
// RFC 7512 lets a PKCS#11 URI carry its PIN (pin-value=); key URIs are otherwise fine to log.
const PKCS11_PIN_VALUE = /[?&;]pin-value=/i;
// With the u flag a proper surrogate pair is one code point, so only unpaired halves match.
const LONE_SURROGATE = /\p{Surrogate}/u;

export function checkEntry(entry: AuditEntry): CheckedEntry {
  const actor = checkLabel('actor', entry.actor, 200);
  const action = checkLabel('action', entry.action, 100);
  if (!ACTION.test(action)) invalid(`action "${action}" must be dotted lower-case words, like certificate.issued`);
  const target = entry.target === undefined ? null : checkLabel('target', entry.target, 300);
  if (typeof entry.details !== 'object' || entry.details === null || Array.isArray(entry.details)) invalid('details must be a plain object');
  const details = toJson(entry.details, 'details', 0) as JsonObject;
  const size = Buffer.byteLength(JSON.stringify(details), 'utf8');
  if (size > MAX_DETAILS_BYTES) {
    throw new QtError('QT_ERR_TOO_LARGE', `Audit details are ${size} bytes; at most ${MAX_DETAILS_BYTES} are allowed`, { size, max: MAX_DETAILS_BYTES });
  }
  return { actor, action, target, details };
}

function checkLabel(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length === 0) invalid(`${field} must be a non-empty string`);
  if (value.length > max) invalid(`${field} is longer than ${max} characters`);
  checkText(field, value);
  return value;
}

/** A JSON copy of `value` (undefined object members dropped, as JSON.stringify does), or a QtError. */
function toJson(value: unknown, path: string, depth: number): JsonValue {
  if (depth > MAX_DEPTH) invalid(`${path} is nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) invalid(`${path} is ${value}, which JSON cannot hold`);
    return value;
  }
  if (typeof value === 'string') {
    checkText(path, value);
    if (PEM_PRIVATE_KEY.test(value)) secret(path, 'holds a PEM private key');
    if (PKCS11_PIN_VALUE.test(value)) secret(path, 'is a PKCS#11 URI carrying its PIN (pin-value)');
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      if (item === undefined) invalid(`${path}[${i}] is undefined; use null`);
      return toJson(item, `${path}[${i}]`, depth + 1);
    });
  }
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const out: JsonObject = {};
    for (const [key, member] of Object.entries(value)) {
      checkText(`${path} key`, key);
      if (isSecretKey(key)) secret(`${path}.${key}`, 'is named like a secret');
      if (member !== undefined) out[key] = toJson(member, `${path}.${key}`, depth + 1);
    }
    return out;
  }
  const kind = typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
  return invalid(`${path} is a ${kind}; give a string (ISO time, hex bytes), number, boolean, null, array or plain object`);
}

function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_SUBSTRINGS.some((s) => k.includes(s)) || SECRET_ENDINGS.some((s) => k.endsWith(s));
}

/** jsonb and text columns refuse NUL, and a lone surrogate is not Unicode: refuse both up front. */
function checkText(path: string, text: string): void {
  if (text.includes('\u0000')) invalid(`${path} contains a NUL character`);
  if (LONE_SURROGATE.test(text)) invalid(`${path} contains an unpaired UTF-16 surrogate`);
}

function secret(path: string, why: string): never {
  throw new QtError('QT_ERR_AUDIT_SECRET_REFUSED', `Refused to write ${path} to the audit log: it ${why}, and secrets must never be logged`, { path });
}

function invalid(message: string): never {
  throw new QtError('QT_ERR_AUDIT_ENTRY_INVALID', `The audit entry is not valid: ${message}`);
}
