/**
 * Directory attribute types we name in display strings and accept by short name, with the string
 * type NCA (and RFC 5280) writes for each. Names follow RFC 4514 where it has one and NCALayer's
 * (Java's) otherwise: SURNAME, SERIALNUMBER, G.
 */
import { oid } from '../oids.ts';
import type { DnStringType } from './string-types.ts';

interface AttributeTypeInfo {
  oid: string;
  shortName: string;
  /** The type written when the caller does not choose one. */
  defaultStringType: DnStringType;
}

const table: readonly AttributeTypeInfo[] = [
  { oid: oid.commonName, shortName: 'CN', defaultStringType: 'utf8' },
  { oid: oid.surname, shortName: 'SURNAME', defaultStringType: 'utf8' },
  // RFC 5280: serialNumber and countryName are PrintableString.
  { oid: oid.serialNumber, shortName: 'SERIALNUMBER', defaultStringType: 'printable' },
  { oid: oid.country, shortName: 'C', defaultStringType: 'printable' },
  { oid: oid.locality, shortName: 'L', defaultStringType: 'utf8' },
  { oid: oid.stateOrProvince, shortName: 'ST', defaultStringType: 'utf8' },
  { oid: '2.5.4.9', shortName: 'STREET', defaultStringType: 'utf8' },
  { oid: oid.organization, shortName: 'O', defaultStringType: 'utf8' },
  { oid: oid.organizationalUnit, shortName: 'OU', defaultStringType: 'utf8' },
  { oid: '2.5.4.12', shortName: 'T', defaultStringType: 'utf8' },
  { oid: oid.givenName, shortName: 'G', defaultStringType: 'utf8' },
  // RFC 5280 wants e-mail in subjectAltName; read it when old certificates carry it in the DN.
  { oid: oid.emailAddress, shortName: 'E', defaultStringType: 'ia5' },
  { oid: '0.9.2342.19200300.100.1.25', shortName: 'DC', defaultStringType: 'ia5' },
  { oid: '0.9.2342.19200300.100.1.1', shortName: 'UID', defaultStringType: 'utf8' },
];

const byOid = new Map(table.map((t) => [t.oid, t]));
const byShortName = new Map(table.map((t) => [t.shortName, t]));

export function attributeShortName(typeOid: string): string | undefined {
  return byOid.get(typeOid)?.shortName;
}

/** An OID for a dotted OID or a known short name (case-insensitive); undefined otherwise. */
export function attributeTypeOid(typeOrName: string): string | undefined {
  if (/^\d+(\.\d+)+$/.test(typeOrName)) return typeOrName;
  return byShortName.get(typeOrName.toUpperCase())?.oid;
}

export function defaultStringType(typeOid: string): DnStringType {
  return byOid.get(typeOid)?.defaultStringType ?? 'utf8';
}
