/**
 * Argument checks for both families. NCALayer is Java: a positional argument of the wrong JSON type fails
 * reflection ("argument type mismatch") and a basics field of the wrong type fails org.json. We check the same
 * things before doing any work, so bad input never reaches key stores or the consent page.
 */
import { QtError } from '@qoltanba/pki';

type Kind = 'string' | 'boolean' | 'string[]' | 'object';

function hasKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

export interface PositionalSpec {
  kind: Kind;
  /** Trailing arguments with a default may be left out (ncalayer-js-client always sends them, others not). */
  default?: unknown;
}

/** Checks commonUtils' positional `args` and returns them with defaults filled in. */
export function positionalArgs(method: string, args: unknown, spec: readonly PositionalSpec[]): unknown[] {
  const list = args === undefined ? [] : args;
  if (!Array.isArray(list) || list.length > spec.length) {
    throw new QtError('QT_ERR_AGENT_ARGUMENT_TYPE', `${method} expects ${spec.length} positional arguments`);
  }
  return spec.map((s, i) => {
    if (i >= list.length) {
      if (s.default === undefined) throw new QtError('QT_ERR_AGENT_ARGUMENT_TYPE', `${method}: argument ${i + 1} is missing`);
      return s.default;
    }
    const value: unknown = list[i];
    if (!hasKind(value, s.kind)) throw new QtError('QT_ERR_AGENT_ARGUMENT_TYPE', `${method}: argument ${i + 1} must be ${s.kind}`);
    return value;
  });
}

/** The named-argument object of a basics-style call. */
export function namedArgs(args: unknown): Record<string, unknown> {
  if (!hasKind(args, 'object')) throw new QtError('QT_ERR_AGENT_ARGUMENT_TYPE', 'JSONObject["args"] is not a JSONObject.');
  return args as Record<string, unknown>;
}

/** A field of a named-argument object; `null` and absence both count as "not given" (sites send either). */
export function field<T>(obj: Record<string, unknown>, name: string, kind: Kind, fallback: T): T;
export function field<T>(obj: Record<string, unknown>, name: string, kind: Kind): T | undefined;
export function field<T>(obj: Record<string, unknown>, name: string, kind: Kind, fallback?: T): T | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return fallback;
  if (!hasKind(value, kind)) {
    const expected = { string: 'a string', boolean: 'a boolean', 'string[]': 'a JSONArray of strings', object: 'a JSONObject' }[kind];
    throw new QtError('QT_ERR_AGENT_ARGUMENT_TYPE', `JSONObject["${name}"] is not ${expected}.`);
  }
  return value as T;
}

/** basics flags: NCALayer's own samples send "true"/"false" strings as often as booleans, so both are accepted. */
export function flag(obj: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = obj[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new QtError('QT_ERR_AGENT_ARGUMENT_TYPE', `JSONObject["${name}"] is not a Boolean.`);
}
