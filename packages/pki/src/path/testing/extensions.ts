/**
 * TEST SUPPORT ONLY: DER for the extensions RFC 5280 §6 acts on, which @peculiar/x509's generator has no
 * classes for (name constraints, policy constraints and mappings, inhibitAnyPolicy), and a way to re-sign a
 * certificate or CRL after editing it (a negative serial, a duplicated or critical extension, a CRL without
 * its number) — things no well-behaved generator produces, which is exactly what these tests need.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, CertificateList, Extension as AsnExtension, Extensions, Name as AsnName } from '@peculiar/asn1-x509';
import { toArrayBuffer, toBytes, utf8, type Bytes } from '../../encoding.ts';
import { contextTag } from '../../der/read.ts';
import { integer, objectIdentifier, sequence, tlv } from '../../der/write.ts';
import { oid } from '../../oids.ts';
import type { TestCert } from './ca.ts';

/** GeneralName DER builders. */
export const gn = {
  dns: (name: string): Bytes => tlv(contextTag(2, false), utf8(name)),
  email: (mailbox: string): Bytes => tlv(contextTag(1, false), utf8(mailbox)),
  uri: (uri: string): Bytes => tlv(contextTag(6, false), utf8(uri)),
  ip: (...octets: number[]): Bytes => tlv(contextTag(7, false), new Uint8Array(octets)),
  dn: (name: string): Bytes => tlv(contextTag(4, true), toBytes(new x509.Name(name).toArrayBuffer())),
  registeredId: (dotted: string): Bytes => tlv(contextTag(8, false), objectIdentifier(dotted).subarray(2)),
  otherName: (typeId: string): Bytes => tlv(contextTag(0, true), objectIdentifier(typeId), tlv(contextTag(0, true), tlv(0x0c, utf8('x')))),
};

/** An extension with a raw DER value. */
export function rawExtension(extnId: string, critical: boolean, value: Uint8Array): x509.Extension {
  return new x509.Extension(extnId, critical, toArrayBuffer(value));
}

export function nameConstraints(c: { permitted?: Bytes[]; excluded?: Bytes[] }, critical = true): x509.Extension {
  const subtrees = (names: Bytes[]): Bytes[] => names.map((n) => sequence(n));
  const parts: Bytes[] = [];
  if (c.permitted) parts.push(tlv(contextTag(0, true), ...subtrees(c.permitted)));
  if (c.excluded) parts.push(tlv(contextTag(1, true), ...subtrees(c.excluded)));
  return rawExtension(oid.nameConstraints, critical, sequence(...parts));
}

export function subjectAltName(...names: Bytes[]): x509.Extension {
  return rawExtension(oid.subjectAltName, false, sequence(...names));
}

export function policies(...oids: string[]): x509.Extension {
  return rawExtension(oid.certificatePolicies, false, sequence(...oids.map((o) => sequence(objectIdentifier(o)))));
}

export function policyMappings(...pairs: [issuer: string, subject: string][]): x509.Extension {
  return rawExtension(oid.policyMappings, true, sequence(...pairs.map(([i, s]) => sequence(objectIdentifier(i), objectIdentifier(s)))));
}

export function policyConstraints(c: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number }, critical = true): x509.Extension {
  const parts: Bytes[] = [];
  const small = (tag: number, v: number): Bytes => tlv(tag, integer(v).subarray(2));
  if (c.requireExplicitPolicy !== undefined) parts.push(small(contextTag(0, false), c.requireExplicitPolicy));
  if (c.inhibitPolicyMapping !== undefined) parts.push(small(contextTag(1, false), c.inhibitPolicyMapping));
  return rawExtension(oid.policyConstraints, critical, sequence(...parts));
}

export function inhibitAnyPolicy(skip: number): x509.Extension {
  return rawExtension(oid.inhibitAnyPolicy, true, integer(skip));
}

async function sign(keys: CryptoKeyPair, data: Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, toArrayBuffer(data));
}

/** What a re-signing edit may change in a certificate. */
export interface CertificateEdit {
  /** The serialNumber INTEGER content, as encoded (0xFF is -1). */
  serial?: number[];
  /** A DER Name, or '' for the empty name. */
  subject?: string;
  extensions?: (extensions: AsnExtension[]) => AsnExtension[];
}

/** The certificate with `edit` applied, signed again by `issuer` (itself when self-signed). */
export async function resign(cert: TestCert, issuer: Pick<TestCert, 'keys'>, edit: CertificateEdit): Promise<TestCert> {
  const parsed = AsnConvert.parse(toArrayBuffer(cert.der), Certificate);
  const tbs = parsed.tbsCertificate;
  if (edit.serial) tbs.serialNumber = new Uint8Array(edit.serial).buffer;
  if (edit.subject !== undefined) tbs.subject = edit.subject === '' ? new AsnName() : AsnConvert.parse(new x509.Name(edit.subject).toArrayBuffer(), AsnName);
  if (edit.extensions) tbs.extensions = new Extensions(edit.extensions([...(tbs.extensions ?? [])]));
  parsed.signatureValue = await sign(issuer.keys, new Uint8Array(AsnConvert.serialize(tbs)));
  const der = toBytes(AsnConvert.serialize(parsed));
  return { ...cert, der, pem: x509.PemConverter.encode(toArrayBuffer(der), 'CERTIFICATE') };
}

/** The CRL with its extensions edited and signed again by `issuer`. */
export async function resignCrl(crl: Uint8Array, issuer: Pick<TestCert, 'keys'>, edit: (extensions: AsnExtension[]) => AsnExtension[]): Promise<Bytes> {
  const parsed = AsnConvert.parse(toArrayBuffer(crl), CertificateList);
  const tbs = parsed.tbsCertList;
  tbs.crlExtensions = new Extensions(edit([...(tbs.crlExtensions ?? [])]));
  parsed.signature = await sign(issuer.keys, new Uint8Array(AsnConvert.serialize(tbs)));
  return toBytes(AsnConvert.serialize(parsed));
}

/** Extension edits. */
export const ext = {
  without: (extnId: string) => (list: AsnExtension[]) => list.filter((e) => e.extnID !== extnId),
  critical: (extnId: string, critical = true) => (list: AsnExtension[]) =>
    list.map((e) => (e.extnID === extnId ? new AsnExtension({ extnID: e.extnID, critical, extnValue: e.extnValue }) : e)),
  twice: (extnId: string) => (list: AsnExtension[]) => list.flatMap((e) => (e.extnID === extnId ? [e, e] : [e])),
  add: (extnId: string, critical: boolean, value: Uint8Array) => (list: AsnExtension[]) => [
    ...list,
    new AsnExtension({ extnID: extnId, critical, extnValue: new OctetString(toArrayBuffer(value)) }),
  ],
};
