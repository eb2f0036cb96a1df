/**
 * The CA ceremony's plan, kept as a reviewable JSON file (`$QOLTANBA_HOME/ceremony.json`): which CAs exist,
 * their names, key locations and sizes, and how long they live. First start writes the default for review;
 * the ceremony then follows the file, never hidden defaults.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { QtError } from '@qoltanba/pki';

export interface KeySpec {
  /** Keystore URI: soft:<name> or pkcs11:token=…;object=… */
  uri: string;
  /** RSA (default) or GOST 34.10-2015 (512), NCA's current GOST; GOST keys are soft keys. */
  algorithm?: 'RSA' | 'GOST-2015-512';
  /** RSA key size; GOST keys have none to choose. */
  bits?: 2048 | 3072 | 4096;
}

export interface DnAttribute {
  type: 'CN' | 'O' | 'OU' | 'C' | 'L' | 'ST';
  value: string;
}

export interface AuthorityPlan {
  /** Short name used in URLs: /crl/<name>.crl, /cert/<name>.cer */
  name: string;
  subject: DnAttribute[];
  key: KeySpec;
  validityYears: number;
}

export interface IssuingPlan extends AuthorityPlan {
  ocsp: { subject: DnAttribute[]; key: KeySpec; validityDays: number };
  /**
   * The CA's time-stamping authority (RFC 3161, served on /tsp): a key of its own and a certificate from
   * this CA with a critical timeStamping-only EKU. Optional: a plan without it has no TSA for this CA; adding
   * it later and running `qoltanba ca init` (or restarting) creates it.
   */
  tsa?: TsaPlan;
}

export interface TsaPlan {
  subject: DnAttribute[];
  key: KeySpec;
  /** How long the TSA certificate is valid; it must end before the CA's. */
  validityYears: number;
}

export interface CeremonyConfig {
  /** CPS URI written into certificate policies; defaults to <publicUrl>/cps. */
  cpsUri?: string;
  root: AuthorityPlan;
  issuing: IssuingPlan[];
  /**
   * The key that signs audit checkpoints (audit/checkpoints): held by the signer like the CA keys, used for
   * nothing else. Absent in plans written before it existed: DEFAULT_AUDIT_KEY.
   */
  auditKey?: KeySpec;
}

export const DEFAULT_AUDIT_KEY: KeySpec = { uri: 'soft:audit-checkpoints', bits: 3072 };

export function defaultCeremonyConfig(): CeremonyConfig {
  return {
    root: {
      name: 'root-rsa',
      subject: [
        { type: 'C', value: 'KZ' },
        { type: 'O', value: 'Qoltanba' },
        { type: 'CN', value: 'QOLTANBA ROOT CA (RSA)' },
      ],
      key: { uri: 'soft:root-rsa', bits: 4096 },
      validityYears: 20,
    },
    issuing: [
      {
        name: 'rsa',
        subject: [
          { type: 'C', value: 'KZ' },
          { type: 'O', value: 'Qoltanba' },
          { type: 'CN', value: 'QOLTANBA ISSUING CA (RSA)' },
        ],
        key: { uri: 'soft:issuing-rsa', bits: 4096 },
        validityYears: 10,
        ocsp: {
          subject: [
            { type: 'C', value: 'KZ' },
            { type: 'O', value: 'Qoltanba' },
            { type: 'CN', value: 'QOLTANBA OCSP RESPONDER (RSA)' },
          ],
          key: { uri: 'soft:ocsp-rsa', bits: 2048 },
          validityDays: 30,
        },
      },
    ],
    auditKey: { ...DEFAULT_AUDIT_KEY },
  };
}

/**
 * A GOST issuing CA (GOST 34.10-2015 512-bit keys for the CA and its OCSP responder), to list in
 * ceremony.json `issuing` beside the RSA one: it issues GOST-2015-512 (and RSA) subscriber certificates,
 * the way NCA's own GOST CA does. Not in the default plan, so an operator opts in by reviewing it.
 */
export function gostIssuingPlan(): IssuingPlan {
  return {
    name: 'gost',
    subject: [
      { type: 'C', value: 'KZ' },
      { type: 'O', value: 'Qoltanba' },
      { type: 'CN', value: 'QOLTANBA ISSUING CA (GOST)' },
    ],
    key: { uri: 'soft:issuing-gost', algorithm: 'GOST-2015-512' },
    validityYears: 10,
    ocsp: {
      subject: [
        { type: 'C', value: 'KZ' },
        { type: 'O', value: 'Qoltanba' },
        { type: 'CN', value: 'QOLTANBA OCSP RESPONDER (GOST)' },
      ],
      key: { uri: 'soft:ocsp-gost', algorithm: 'GOST-2015-512' },
      validityDays: 30,
    },
  };
}

/**
 * A time-stamping authority for an issuing CA, in the CA's algorithm: RSA-3072 beside an RSA CA (stamps
 * outlive subscriber keys, so more than their 2048 bits), GOST 34.10-2015 (512) beside a GOST one.
 */
export function tsaPlanFor(ca: Pick<IssuingPlan, 'name' | 'key'>): TsaPlan {
  const gost = ca.key.algorithm === 'GOST-2015-512';
  return {
    subject: [
      { type: 'C', value: 'KZ' },
      { type: 'O', value: 'Qoltanba' },
      { type: 'CN', value: `QOLTANBA TIME-STAMPING AUTHORITY (${gost ? 'GOST' : 'RSA'})` },
    ],
    key: gost ? { uri: `soft:tsa-${ca.name}`, algorithm: 'GOST-2015-512' } : { uri: `soft:tsa-${ca.name}`, bits: 3072 },
    validityYears: 5,
  };
}

/**
 * The plan a fresh installation starts from: the RSA hierarchy plus a GOST 34.10-2015 (512) issuing CA, as
 * NCA issues most keys in GOST today, each with its time-stamping authority. (defaultCeremonyConfig stays
 * RSA-only and without TSAs: it is the base tests tune.)
 */
export function initialCeremonyConfig(): CeremonyConfig {
  const config = defaultCeremonyConfig();
  config.issuing.push(gostIssuingPlan());
  for (const ca of config.issuing) ca.tsa = tsaPlanFor(ca);
  return config;
}

export function ceremonyConfigPath(home: string): string {
  return join(home, 'ceremony.json');
}

/** Reads the ceremony plan, writing the default one first when there is none. */
export function loadCeremonyConfig(home: string): { config: CeremonyConfig; path: string; created: boolean } {
  const path = ceremonyConfigPath(home);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const config = initialCeremonyConfig();
    writeFileSync(path, JSON.stringify(config, null, 2) + '\n', { mode: 0o644 });
    return { config, path, created: true };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', `${path} is not valid JSON: ${(e as Error).message}`);
  }
  return { config: validateCeremonyConfig(parsed, path), path, created: false };
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function validateCeremonyConfig(value: unknown, where = 'ceremony config'): CeremonyConfig {
  const problems: string[] = [];
  const c = value as CeremonyConfig;
  const checkAuthority = (a: AuthorityPlan | undefined, label: string) => {
    if (!a || typeof a !== 'object') return problems.push(`${label} is missing`);
    if (!NAME.test(a.name ?? '')) problems.push(`${label}.name must be lower-case letters, digits and dashes`);
    // /crl/<name>-delta.crl is the delta CRL of <name>; a CA called "<x>-delta" would shadow x's delta CRL.
    if (/-delta$/.test(a.name ?? '')) problems.push(`${label}.name must not end in "-delta" (it would clash with delta CRL addresses)`);
    if (!Array.isArray(a.subject) || !a.subject.some((x) => x.type === 'CN')) problems.push(`${label}.subject needs a CN`);
    const keyProblem = checkKey(a.key);
    if (keyProblem) problems.push(`${label}.key ${keyProblem}`);
    if (!(a.validityYears > 0 && a.validityYears <= 30)) problems.push(`${label}.validityYears must be between 1 and 30`);
    return undefined;
  };
  checkAuthority(c?.root, 'root');
  if (!Array.isArray(c?.issuing) || c.issuing.length === 0) problems.push('issuing must list at least one issuing CA');
  const names = new Set<string>([c?.root?.name]);
  for (const [i, ca] of (c?.issuing ?? []).entries()) {
    checkAuthority(ca, `issuing[${i}]`);
    if (names.has(ca?.name)) problems.push(`issuing[${i}].name "${ca?.name}" is used twice`);
    names.add(ca?.name);
    if (ca?.validityYears >= (c.root?.validityYears ?? 0)) problems.push(`issuing[${i}] must expire before the root`);
    if (!ca?.ocsp?.key?.uri || !(ca.ocsp.validityDays > 0 && ca.ocsp.validityDays <= 366)) problems.push(`issuing[${i}].ocsp needs a key and validityDays 1…366`);
    else if (checkKey(ca.ocsp.key)) problems.push(`issuing[${i}].ocsp.key ${checkKey(ca.ocsp.key)}`);
    if (ca?.tsa !== undefined) {
      const tsa = ca.tsa;
      if (!Array.isArray(tsa?.subject) || !tsa.subject.some((x) => x.type === 'CN')) problems.push(`issuing[${i}].tsa.subject needs a CN`);
      const keyProblem = checkKey(tsa?.key);
      if (keyProblem) problems.push(`issuing[${i}].tsa.key ${keyProblem}`);
      if (!(tsa?.validityYears > 0 && tsa.validityYears < (ca.validityYears ?? 0))) problems.push(`issuing[${i}].tsa.validityYears must be at least 1 and end before the CA's`);
    }
  }
  if (c?.auditKey !== undefined) {
    const keyProblem = checkKey(c.auditKey);
    if (keyProblem) problems.push(`auditKey ${keyProblem}`);
    const caKeys = [c.root?.key?.uri, ...(c.issuing ?? []).flatMap((i) => [i?.key?.uri, i?.ocsp?.key?.uri])];
    if (caKeys.includes(c.auditKey.uri)) problems.push('auditKey must be a key of its own, not a CA or OCSP key');
  }
  if (problems.length) throw new QtError('QT_ERR_INPUT_INVALID', `${where}: ${problems.join('; ')}`, { problems });
  return c;
}

/** Why a key spec is not usable, or undefined: RSA needs bits 2048/3072/4096, GOST takes none. */
function checkKey(key: KeySpec | undefined): string | undefined {
  if (!key || typeof key.uri !== 'string') return 'needs a uri';
  const algorithm = key.algorithm ?? 'RSA';
  if (algorithm === 'GOST-2015-512') return key.bits === undefined ? undefined : 'is GOST-2015-512, which takes no bits';
  if (algorithm !== 'RSA') return 'algorithm must be "RSA" or "GOST-2015-512"';
  return key.bits !== undefined && [2048, 3072, 4096].includes(key.bits) ? undefined : 'needs bits 2048, 3072 or 4096';
}
