export { decodeDn, encodeDn, dnValue, dnValues } from './dn.ts';
export type { DistinguishedName, Rdn, DnAttribute, DnAttributeInput, DnInput } from './dn.ts';
export type { DnStringType } from './string-types.ts';
export { attributeShortName, attributeTypeOid } from './attribute-types.ts';
export { formatDn } from './format.ts';
export { buildKzSubject, parseKzSubject, normalizeKzSubject, kzSubjectAttributes, kzFields } from './kz-subject.ts';
export type { KzSubject, KzSubjectInput, KzFields } from './kz-subject.ts';
export { assertStrictDer } from './strict-der.ts';
