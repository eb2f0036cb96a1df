/**
 * Reading token objects: search by template, read attributes, and the key-URI → private-key lookup
 * every store operation starts with.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { QtError, toBase64Url, type Bytes } from '@qoltanba/pki';
import { childrenOf, readTlv, TAG } from '@qoltanba/pki/der';
import { p11, type Pkcs11Api } from './module.ts';
import { describePkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.ts';

type Handle = Buffer;
type Template = { type: number; value?: number | boolean | string | Buffer }[];

export function findObjects(api: Pkcs11Api, session: Handle, template: Template): Handle[] {
  api.C_FindObjectsInit(session, template);
  try {
    const found: Handle[] = [];
    for (let batch = api.C_FindObjects(session, 64); batch.length > 0; batch = api.C_FindObjects(session, 64)) {
      found.push(...batch);
    }
    return found;
  } finally {
    api.C_FindObjectsFinal(session);
  }
}

export function readAttribute(api: Pkcs11Api, session: Handle, object: Handle, type: number): Buffer {
  const [attribute] = api.C_GetAttributeValue(session, object, [{ type }]);
  return attribute?.value ?? Buffer.alloc(0);
}

/** CK_BBOOL is one byte. */
export function readFlag(api: Pkcs11Api, session: Handle, object: Handle, type: number): boolean {
  return readAttribute(api, session, object, type)[0] === 1;
}

/** CK_ULONG comes back in the platform's width and byte order (little-endian on the machines we run on). */
export function readNumber(api: Pkcs11Api, session: Handle, object: Handle, type: number): number {
  const value = readAttribute(api, session, object, type);
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0);
}

export interface FoundKey {
  handle: Handle;
  label: string;
  id: Buffer;
}

/** The one private key a key URI names by object= and/or id=. */
export function findPrivateKey(api: Pkcs11Api, session: Handle, uri: Pkcs11Uri): FoundKey {
  const matches = findObjects(api, session, privateKeyTemplate(uri));
  if (matches.length === 0) throw new QtError('QT_ERR_KEY_NOT_FOUND', `No key matching ${describePkcs11Uri(uri)} is on the token`);
  if (matches.length > 1) {
    throw new QtError('QT_ERR_KEY_AMBIGUOUS', `${matches.length} keys match ${describePkcs11Uri(uri)}; name one by object= and id=`);
  }
  const handle = matches[0] as Handle;
  return {
    handle,
    label: readAttribute(api, session, handle, p11.CKA_LABEL).toString('utf8'),
    id: readAttribute(api, session, handle, p11.CKA_ID),
  };
}

export function privateKeyTemplate(uri: Pkcs11Uri): Template {
  if (uri.object === undefined && uri.id === undefined) {
    throw new QtError('QT_ERR_KEY_URI_MALFORMED', 'PKCS#11 URI: name the key by object= (its label) and/or id=');
  }
  if (uri.type !== undefined && uri.type !== 'private') {
    throw new QtError('QT_ERR_KEY_URI_MALFORMED', 'PKCS#11 URI: a key URI names a private key (type=private or no type)');
  }
  const template: Template = [{ type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY }];
  if (uri.object !== undefined) template.push({ type: p11.CKA_LABEL, value: uri.object });
  if (uri.id !== undefined) template.push({ type: p11.CKA_ID, value: Buffer.from(uri.id) });
  return template;
}

export function isRsaKey(api: Pkcs11Api, session: Handle, key: Handle): boolean {
  return readNumber(api, session, key, p11.CKA_KEY_TYPE) === p11.CKK_RSA;
}

/**
 * The DER SPKI of an RSA key object, from its modulus and public exponent (RSA private key objects carry
 * both, so the public key object is not needed and may even be absent).
 */
export function rsaPublicKeyOf(api: Pkcs11Api, session: Handle, key: Handle): Bytes {
  if (!isRsaKey(api, session, key)) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', 'Only RSA keys on tokens can sign here');
  const [modulus, exponent] = api.C_GetAttributeValue(session, key, [{ type: p11.CKA_MODULUS }, { type: p11.CKA_PUBLIC_EXPONENT }]);
  const jwk = { kty: 'RSA', n: toBase64Url(modulus?.value ?? Buffer.alloc(0)), e: toBase64Url(exponent?.value ?? Buffer.alloc(0)) };
  return new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits — the SKI our certificates carry. */
export function keyIdentifier(spki: Uint8Array): Buffer {
  const [, bitString] = childrenOf(spki, readTlv(spki, 0));
  if (!bitString || bitString.tag !== TAG.bitString) throw new QtError('QT_ERR_KEY_MALFORMED', 'The SPKI has no public key bits');
  // Skip the BIT STRING's unused-bits octet.
  return createHash('sha1').update(spki.subarray(bitString.contentStart + 1, bitString.end)).digest();
}
