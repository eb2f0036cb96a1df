/**
 * The subject of a Kazakh citizen's certificate, in NCA's layout (DESIGN §4):
 *   CN=<SURNAME NAME>, SURNAME=<surname>, SERIALNUMBER=IIN<12 digits>, C=KZ, [L, ST], [O, OU=BIN<12 digits>], G=<patronymic>
 * NCA puts the patronymic in G (givenName) and the first name only inside CN; we do the same so that
 * relying parties written for NCA certificates read ours unchanged.
 */
import { QtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import type { Bytes } from '../encoding.ts';
import { parseBin, parseIin, type IdentifierOptions } from '../iin/index.ts';
import { decodeDn, dnValue, encodeDn, type DistinguishedName, type DnAttributeInput } from './dn.ts';

export interface KzSubjectInput {
  surname: string;
  /** First name; NCA writes it only inside CN ("SURNAME NAME"). */
  name: string;
  /** Patronymic (отчество / әкесінің аты), written as G. */
  patronymic?: string | undefined;
  /** 12 digits, without the "IIN" prefix. */
  iin: string;
  /** Organisation of a legal entity's employee; needs `bin`. */
  organization?: string | undefined;
  /** 12 digits, without the "BIN" prefix; needs `organization`. */
  bin?: string | undefined;
  /** Locality and region, as NCA's 2018 certificates carried them. */
  locality?: string | undefined;
  state?: string | undefined;
}

export interface KzSubject {
  commonName: string;
  surname: string;
  name: string;
  patronymic?: string;
  iin: string;
  organization?: string;
  bin?: string;
  locality?: string;
  state?: string;
  country: string;
}

/** Whatever KZ fields a name carries, read leniently (responder and service certificates have few). */
export interface KzFields {
  commonName?: string;
  surname?: string;
  name?: string;
  patronymic?: string;
  iin?: string;
  bin?: string;
  organization?: string;
  locality?: string;
  state?: string;
  country?: string;
}

const IIN_PREFIX = 'IIN';
const BIN_PREFIX = 'BIN';
// X.520 / RFC 5280 upper bounds, except organisation: registered Kazakh organisation names are often
// longer than RFC 5280's 64 characters, NCA writes them in full, and no relying party enforces it.
const MAX_LENGTH = { commonName: 64, personName: 64, organization: 255, place: 128 } as const;

function nameInvalid(field: string, reason: string, message: string): QtError {
  return new QtError('QT_ERR_NAME_INVALID', message, { field, reason });
}

function normalizeText(value: string): string {
  return value.normalize('NFC').trim().replace(/\s+/g, ' ');
}

/** Letters of any script, with the joiners real names use (hyphen, apostrophes, dot, space). */
const PERSON_NAME = /^[\p{L}\p{M}][\p{L}\p{M} '’ʼ.\-]*$/u;

/** NCA writes names in upper case, as the population registry holds them; we do the same. */
function personName(field: string, value: string | undefined): string {
  const text = normalizeText(value ?? '').toUpperCase();
  if (!text) throw nameInvalid(field, 'empty', `The ${field} must not be empty`);
  if (!PERSON_NAME.test(text)) throw nameInvalid(field, 'characters', `The ${field} may hold only letters, spaces, hyphens and apostrophes: "${text}"`);
  if (text.length > MAX_LENGTH.personName) throw nameInvalid(field, 'length', `The ${field} is longer than ${MAX_LENGTH.personName} characters`);
  return text;
}

function freeText(field: string, value: string, max: number): string {
  const text = normalizeText(value);
  if (!text) throw nameInvalid(field, 'empty', `The ${field} must not be empty`);
  if (/\p{C}/u.test(text)) throw nameInvalid(field, 'characters', `The ${field} contains control characters`);
  if (text.length > max) throw nameInvalid(field, 'length', `The ${field} is longer than ${max} characters`);
  return text;
}

/** Validates and normalises the input: IIN/BIN checked, names upper-cased, O and BIN together. */
export function normalizeKzSubject(input: KzSubjectInput, options: IdentifierOptions = {}): KzSubject {
  const surname = personName('surname', input.surname);
  const name = personName('name', input.name);
  const commonName = `${surname} ${name}`;
  if (commonName.length > MAX_LENGTH.commonName) {
    throw nameInvalid('commonName', 'length', `Surname and name together are longer than ${MAX_LENGTH.commonName} characters`);
  }
  const iin = parseIin(input.iin ?? '', options).iin;
  const hasOrganization = input.organization !== undefined && input.organization !== '';
  const hasBin = input.bin !== undefined && input.bin !== '';
  if (hasOrganization !== hasBin) {
    throw new QtError('QT_ERR_SUBJECT_INVALID', 'An organisation and its BIN go together: give both or neither', {
      field: hasOrganization ? 'bin' : 'organization',
    });
  }
  const subject: KzSubject = { commonName, surname, name, iin, country: 'KZ' };
  if (input.patronymic !== undefined && input.patronymic !== '') subject.patronymic = personName('patronymic', input.patronymic);
  if (hasOrganization) {
    subject.organization = freeText('organization', input.organization!, MAX_LENGTH.organization);
    subject.bin = parseBin(input.bin!, options).bin;
  }
  if (input.locality) subject.locality = freeText('locality', input.locality, MAX_LENGTH.place);
  if (input.state) subject.state = freeText('state', input.state, MAX_LENGTH.place);
  return subject;
}

/** The subject's attributes in NCA's order and string types. */
export function kzSubjectAttributes(input: KzSubjectInput, options: IdentifierOptions = {}): DnAttributeInput[] {
  const s = normalizeKzSubject(input, options);
  const attrs: DnAttributeInput[] = [
    { type: oid.commonName, value: s.commonName, stringType: 'utf8' },
    { type: oid.surname, value: s.surname, stringType: 'utf8' },
    { type: oid.serialNumber, value: IIN_PREFIX + s.iin, stringType: 'printable' },
    { type: oid.country, value: s.country, stringType: 'printable' },
  ];
  if (s.locality) attrs.push({ type: oid.locality, value: s.locality, stringType: 'utf8' });
  if (s.state) attrs.push({ type: oid.stateOrProvince, value: s.state, stringType: 'utf8' });
  if (s.organization) {
    attrs.push({ type: oid.organization, value: s.organization, stringType: 'utf8' });
    attrs.push({ type: oid.organizationalUnit, value: BIN_PREFIX + s.bin, stringType: 'utf8' });
  }
  if (s.patronymic) attrs.push({ type: oid.givenName, value: s.patronymic, stringType: 'utf8' });
  return attrs;
}

/** DER of the subject DN in NCA's layout. */
export function buildKzSubject(input: KzSubjectInput, options: IdentifierOptions = {}): Bytes {
  return encodeDn(kzSubjectAttributes(input, options));
}

function prefixed(value: string | undefined, prefix: string): string | undefined {
  return value !== undefined && value.startsWith(prefix) && /^\d{12}$/.test(value.slice(prefix.length)) ? value.slice(prefix.length) : undefined;
}

/** Reads whatever KZ fields are present, without judging them (for inspection and listings). */
export function kzFields(dn: DistinguishedName): KzFields {
  const value = (type: string) => dnValue(dn, type);
  const fields: KzFields = {};
  const set = <K extends keyof KzFields>(key: K, v: string | undefined) => {
    if (v !== undefined) fields[key] = v;
  };
  set('commonName', value(oid.commonName));
  set('surname', value(oid.surname));
  const { commonName, surname } = fields;
  if (commonName && surname && commonName.startsWith(`${surname} `)) set('name', commonName.slice(surname.length + 1));
  set('patronymic', value(oid.givenName));
  set('iin', prefixed(value(oid.serialNumber), IIN_PREFIX));
  const bins = dn.flatMap((rdn) => rdn.filter((a) => a.type === oid.organizationalUnit).map((a) => prefixed(a.value, BIN_PREFIX)));
  set('bin', bins.find((b) => b !== undefined));
  set('organization', value(oid.organization));
  set('locality', value(oid.locality));
  set('state', value(oid.stateOrProvince));
  set('country', value(oid.country));
  return fields;
}

const KZ_SUBJECT_TYPES: ReadonlySet<string> = new Set([
  oid.commonName, oid.surname, oid.serialNumber, oid.country, oid.locality,
  oid.stateOrProvince, oid.organization, oid.organizationalUnit, oid.givenName,
]);

function subjectInvalid(message: string, details?: Record<string, unknown>): QtError {
  return new QtError('QT_ERR_SUBJECT_INVALID', message, details);
}

/**
 * Reads a person's subject strictly: every field NCA's layout requires must be there, valid, and
 * not repeated; nothing else may be. (Attribute order and string types are judged by the issuance
 * lint, which rebuilds the name and compares bytes.)
 */
export function parseKzSubject(subject: Uint8Array | DistinguishedName, options: IdentifierOptions = {}): KzSubject {
  const dn = subject instanceof Uint8Array ? decodeDn(subject) : subject;
  const seen = new Set<string>();
  for (const rdn of dn) {
    for (const a of rdn) {
      if (!KZ_SUBJECT_TYPES.has(a.type)) throw subjectInvalid(`The subject holds an attribute NCA's layout has no place for (${a.type})`, { type: a.type });
      if (seen.has(a.type)) throw subjectInvalid(`The subject repeats attribute ${a.type}`, { type: a.type });
      if (a.stringType === 'der') throw subjectInvalid(`The subject attribute ${a.type} is not text`, { type: a.type });
      seen.add(a.type);
    }
  }
  const f = kzFields(dn);
  const serial = dnValue(dn, oid.serialNumber);
  if (!f.commonName || !f.surname) throw subjectInvalid('The subject needs CN and SURNAME');
  if (f.name === undefined) throw subjectInvalid('CN must be the surname followed by the first name', { commonName: f.commonName });
  if (!serial?.startsWith(IIN_PREFIX)) throw subjectInvalid('SERIALNUMBER must be "IIN" followed by the IIN', { serialNumber: serial });
  if (f.country !== 'KZ') throw subjectInvalid('C must be KZ', { country: f.country });
  const ou = dnValue(dn, oid.organizationalUnit);
  if (ou !== undefined && !ou.startsWith(BIN_PREFIX)) throw subjectInvalid('OU must be "BIN" followed by the BIN', { organizationalUnit: ou });
  const parsed = normalizeKzSubject(
    {
      surname: f.surname,
      name: f.name,
      patronymic: f.patronymic,
      iin: serial.slice(IIN_PREFIX.length),
      organization: f.organization,
      bin: ou?.slice(BIN_PREFIX.length),
      locality: f.locality,
      state: f.state,
    },
    options,
  );
  // Normalisation upper-cases names; a subject read from a certificate is reported as written.
  return { ...parsed, commonName: f.commonName, surname: f.surname, name: f.name, ...(f.patronymic ? { patronymic: f.patronymic } : {}) };
}
