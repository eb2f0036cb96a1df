/**
 * The PKCS#12 integrity MAC (RFC 7292 §5.1 and appendix B): HMAC over the AuthenticatedSafe bytes,
 * keyed through the PKCS#12 KDF with the same digest. It is checked before anything is decrypted, so a
 * wrong password is told apart from damaged contents.
 */
import { MacData } from '@peculiar/asn1-pfx';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OctetString } from '@peculiar/asn1-schema';
import { QtError } from '@qoltanba/errors';
import { bytesEqual, type Bytes } from '../encoding.ts';
import { getCrypto, hashNameFromOid, hashOids, randomBytes, type HashName } from '../crypto/index.ts';
import { bmpPassword, hashOutputLength, kdfPurpose, pkcs12Kdf } from './kdf.ts';

async function computeMac(hash: HashName, password: string, salt: Uint8Array, iterations: number, data: Uint8Array): Promise<Bytes> {
  const key = await pkcs12Kdf({ hash, password: bmpPassword(password), salt, iterations, purpose: kdfPurpose.mac, length: hashOutputLength(hash) });
  const subtle = getCrypto().subtle;
  const hmacKey = await subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', hmacKey, data as Bytes));
}

const DER_NULL = new Uint8Array([0x05, 0x00]);

/**
 * The MAC's digest; throws QT_ERR_ALGORITHM_UNSUPPORTED for anything but SHA-1/-256/-384/-512. Digest
 * parameters must be NULL or absent: the MAC does not cover them, so anything else is damage.
 */
export function macHash(macData: MacData): HashName {
  const { algorithm, parameters } = macData.mac.digestAlgorithm;
  if (parameters && !bytesEqual(new Uint8Array(parameters), DER_NULL)) {
    throw new QtError('QT_ERR_PKCS12_MALFORMED', 'The key file is malformed: its MAC digest has unexpected parameters');
  }
  return hashNameFromOid(algorithm);
}


export async function verifyMac(macData: MacData, password: string, authSafe: Uint8Array): Promise<boolean> {
  const expected = await computeMac(macHash(macData), password, new Uint8Array(macData.macSalt.buffer), macData.iterations, authSafe);
  return bytesEqual(expected, new Uint8Array(macData.mac.digest.buffer));
}

export async function createMac(hash: HashName, password: string, iterations: number, authSafe: Uint8Array): Promise<MacData> {
  const salt = randomBytes(16);
  const mac = await computeMac(hash, password, salt, iterations, authSafe);
  return new MacData({
    mac: new DigestInfo({
      digestAlgorithm: new AlgorithmIdentifier({ algorithm: hashOids[hash], parameters: null }),
      digest: new OctetString(mac),
    }),
    macSalt: new OctetString(salt),
    iterations,
  });
}
