/**
 * The time-stamping authority's knobs (server.json "tsa", or the feature's options in tests), with their
 * defaults: which policy it stamps under, which hashes it accepts, how sure of its clock it must be, what
 * a request may cost, and how stamps reach the audit log.
 */
import { QtError, TIME_STAMP_HASH_NAMES, oid } from '@qoltanba/pki';

export interface TsaOptions {
  /** The policy stamps carry when a request names none (default Qoltanba's, see README). */
  policy?: string;
  /** Further policies a request may ask for and get; any other requested policy is refused (unacceptedPolicy). */
  acceptPolicies?: string[];
  /** Message-imprint hashes accepted, by name (default all six: SHA-256/384/512, Streebog-256/512, SHA-1). */
  hashAlgorithms?: string[];
  /** The accuracy every token states for its genTime, in milliseconds (default 1000). */
  accuracyMs?: number;
  /** Largest difference from the reference clock (the database server's) at which we still stamp (default 1000 ms; ≤ accuracyMs). */
  maxClockDriftMs?: number;
  /** How often the clock is compared with the reference (default 10 s); without a good comparison for 3 periods, no stamps. */
  clockCheckSeconds?: number;
  /** Largest request body read (default 8 KiB; a request is ~100 bytes). */
  requestBytes?: number;
  /** Stamps being signed at once in this process; beyond, requests are refused at once (HTTP 429, systemFailure). */
  maxInFlight?: number;
  /** How often the tally of stamps (counts, serial range, a sample) is written to the audit log (default 5 minutes). */
  auditEveryMinutes?: number;
  /** Stamps described in each audit entry, chosen uniformly at random among the period's (default 8). */
  auditSamples?: number;
  /** The issuing CA whose TSA answers POST /tsp (default: the first one with a TSA). Each one answers POST /tsp/<ca>. */
  default?: string;
}

export interface ResolvedTsaOptions {
  policy: string;
  policies: ReadonlySet<string>;
  hashAlgorithms: ReadonlySet<string>;
  accuracyMs: number;
  maxClockDriftMs: number;
  clockCheckMs: number;
  requestBytes: number;
  maxInFlight: number;
  auditEveryMs: number;
  auditSamples: number;
  default: string | undefined;
}

/** Hash names as the configuration writes them: the names a time-stamp client may use (@qoltanba/pki's tsp). */
export const tsaHashNames = TIME_STAMP_HASH_NAMES;

export const DEFAULT_TSA_HASHES = ['SHA-256', 'SHA-384', 'SHA-512', 'Streebog-256', 'Streebog-512', 'SHA-1'];

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

export function resolveTsaOptions(o: TsaOptions = {}): ResolvedTsaOptions {
  const policy = o.policy ?? oid.policyQoltanbaTsa;
  const extra = o.acceptPolicies ?? [];
  for (const p of [policy, ...extra]) if (!OID.test(p)) throw invalid('policy', `"${p}" is not an object identifier`);
  const hashes = o.hashAlgorithms ?? DEFAULT_TSA_HASHES;
  if (hashes.length === 0) throw invalid('hashAlgorithms', 'name at least one hash');
  const hashOids = hashes.map((name) => {
    const found = tsaHashNames[name];
    if (!found) throw invalid('hashAlgorithms', `"${name}" is not one of ${Object.keys(tsaHashNames).join(', ')}`);
    return found;
  });
  const accuracyMs = positive(o.accuracyMs ?? 1000, 'accuracyMs');
  const maxClockDriftMs = positive(o.maxClockDriftMs ?? 1000, 'maxClockDriftMs');
  // A token promises genTime ± accuracy; a clock allowed to be further off would break that promise.
  if (maxClockDriftMs > accuracyMs) throw invalid('maxClockDriftMs', `${maxClockDriftMs} ms is more than the accuracy the tokens state (${accuracyMs} ms)`);
  return {
    policy,
    policies: new Set([policy, ...extra]),
    hashAlgorithms: new Set(hashOids),
    accuracyMs,
    maxClockDriftMs,
    clockCheckMs: positive(o.clockCheckSeconds ?? 10, 'clockCheckSeconds') * 1000,
    requestBytes: positive(o.requestBytes ?? 8192, 'requestBytes'),
    maxInFlight: positive(o.maxInFlight ?? 64, 'maxInFlight'),
    auditEveryMs: positive(o.auditEveryMinutes ?? 5, 'auditEveryMinutes') * 60_000,
    auditSamples: Math.floor(nonNegative(o.auditSamples ?? 8, 'auditSamples')),
    default: o.default,
  };
}

function positive(n: number, field: string): number {
  if (!(typeof n === 'number' && Number.isFinite(n) && n > 0)) throw invalid(field, 'must be a positive number');
  return n;
}

function nonNegative(n: number, field: string): number {
  if (!(typeof n === 'number' && Number.isFinite(n) && n >= 0)) throw invalid(field, 'must be zero or more');
  return n;
}

function invalid(field: string, why: string): QtError {
  return new QtError('QT_ERR_INPUT_INVALID', `tsa.${field}: ${why}`, { field: `tsa.${field}` });
}
