/**
 * Opens a PKCS#12 key file, NCA's legacy files and modern ones alike, and says what protects it.
 *
 * Telling a wrong password from a damaged file: the MAC is checked first, and every encrypted part is
 * tried as well. A MAC that fails while some part still decrypts into well-formed contents means the
 * password is right and the file was changed (MALFORMED); when nothing decrypts, the password is wrong.
 * Without a MAC the same rule applies to the encrypted parts alone.
 */
import { AuthenticatedSafe, CertBag, PFX, SafeContents, type SafeBag } from '@peculiar/asn1-pfx';
import { EncryptedPrivateKeyInfo, PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { Certificate, type AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { QtError } from '@qoltanba/errors';
import { toBytes, type Bytes } from '../encoding.ts';
import { oid } from '../oids.ts';
import { type HashName } from '../crypto/index.ts';
import { EncryptedData, encryptedContentBytes, octetStringValue, parseAs } from './asn1.ts';
import { readBagLabels, type BagLabels } from './bag-attributes.ts';
import { decryptWithPassword, describeEncryption, isPkcs12Pbe } from './encryption.ts';
import { macHash, verifyMac } from './mac.ts';

export interface Pkcs12Key extends BagLabels {
  /** DER PrivateKeyInfo exactly as decrypted (GOST keys are kept raw for the GOST issue). */
  pkcs8: Bytes;
  algorithmOid: string;
}

export interface Pkcs12Certificate extends BagLabels {
  der: Bytes;
}

export interface Pkcs12Contents {
  keys: Pkcs12Key[];
  certificates: Pkcs12Certificate[];
  /** Absent when the file has no integrity MAC. */
  mac: { algorithm: HashName; iterations: number } | undefined;
  /** Readable descriptions, e.g. "pbeWithSHAAnd3-KeyTripleDES-CBC, 1024 iterations", or "none". */
  protection: { key: string; certs: string };
  /** True when the file uses PKCS#12 v1 encryption or a SHA-1 MAC (NCA's format; worth re-saving). */
  legacy: boolean;
}

export interface ReadPkcs12Options {
  /** Largest file accepted, in bytes (default 1 MiB; NCA's files are about 3–7 KiB). */
  maxBytes?: number;
}

export const DEFAULT_MAX_PKCS12_BYTES = 1 << 20;
const MAX_PASSWORD_LENGTH = 1024;
const MAX_NESTING = 3;
const SAFE_CONTENTS_BAG = '1.2.840.113549.1.12.10.1.6';

interface Found {
  keys: Pkcs12Key[];
  certificates: Pkcs12Certificate[];
}

/** What the reading learnt along the way. */
class Reading {
  decrypted = 0;
  undecryptable = 0;
  legacy = false;
  readonly keyProtection = new Set<string>();
  readonly certProtection = new Set<string>();

  constructor(readonly password: string) {}

  /** Decrypts and parses; `undefined` (and counted) when this password does not open it. */
  async open<T>(algorithm: AlgorithmIdentifier, ciphertext: Uint8Array, parse: (plain: Bytes) => T): Promise<T | undefined> {
    if (isPkcs12Pbe(algorithm)) this.legacy = true;
    const plain = await decryptWithPassword(algorithm, this.password, ciphertext);
    let parsed: T | undefined;
    if (plain) {
      try {
        parsed = parse(plain);
      } catch {
        parsed = undefined;
      }
    }
    if (parsed === undefined) this.undecryptable++;
    else this.decrypted++;
    return parsed;
  }
}

export async function readPkcs12(input: ArrayBuffer | ArrayBufferView, password: string, options: ReadPkcs12Options = {}): Promise<Pkcs12Contents> {
  const bytes = toBytes(input);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PKCS12_BYTES;
  if (bytes.length > maxBytes) throw new QtError('QT_ERR_TOO_LARGE', `The key file is ${bytes.length} bytes, more than the ${maxBytes} allowed`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new QtError('QT_ERR_TOO_LARGE', `The password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  if (bytes.length === 0) throw new QtError('QT_ERR_PKCS12_MALFORMED', 'The key file is empty');

  const pfx = parseAs(bytes, PFX, 'outer structure');
  if (pfx.version !== 3) throw new QtError('QT_ERR_PKCS12_MALFORMED', `The key file is malformed: version ${pfx.version} is not PKCS#12 v3`);
  if (pfx.authSafe.contentType !== oid.cmsData) {
    throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', 'Key files protected by a public-key signature instead of a password are not supported', {
      oid: pfx.authSafe.contentType,
    });
  }
  // The @peculiar PFX class fills an absent MacData with an empty default, whose algorithm is ''.
  const macData = pfx.macData?.mac.digestAlgorithm.algorithm ? pfx.macData : undefined;
  const authSafe = octetStringValue(pfx.authSafe.content, 'contents');
  const parts = parseAs(authSafe, AuthenticatedSafe, 'contents');
  const reading = new Reading(password);

  const [macOk, found] = await Promise.all([
    macData ? verifyMac(macData, password, authSafe) : undefined,
    Promise.all(parts.map((part) => readPart(part.contentType, part.content, reading))),
  ]);

  if (macOk === false) {
    if (reading.decrypted > 0) {
      throw new QtError('QT_ERR_PKCS12_MALFORMED', 'The key file was altered or damaged: the password opens it, but its integrity check fails');
    }
    throw new QtError('QT_ERR_PKCS12_PASSWORD');
  }
  if (reading.undecryptable > 0) {
    if (macOk === true) {
      throw new QtError('QT_ERR_PKCS12_PASSWORD', 'The password passes the key file integrity check but does not decrypt its contents');
    }
    if (reading.decrypted > 0) {
      throw new QtError('QT_ERR_PKCS12_MALFORMED', 'The key file is damaged: part of it does not decrypt with the password that opens the rest');
    }
    throw new QtError('QT_ERR_PKCS12_PASSWORD');
  }

  const hash = macData ? macHash(macData) : undefined;
  const describe = (set: Set<string>) => (set.size ? [...set].join('; ') : 'none');
  return {
    keys: found.flatMap((f) => f.keys),
    certificates: found.flatMap((f) => f.certificates),
    mac: macData && hash ? { algorithm: hash, iterations: macData.iterations } : undefined,
    protection: { key: describe(reading.keyProtection), certs: describe(reading.certProtection) },
    legacy: reading.legacy || hash === 'SHA-1',
  };
}

/** One ContentInfo of the AuthenticatedSafe: plain Data or password-EncryptedData. */
async function readPart(contentType: string, content: ArrayBuffer, reading: Reading): Promise<Found> {
  if (contentType === oid.cmsData) {
    const safe = parseAs(octetStringValue(content, 'safe contents'), SafeContents, 'safe contents');
    return readSafeContents(safe, 'none', reading, 0);
  }
  if (contentType === oid.cmsEncryptedData) {
    const info = parseAs(content, EncryptedData, 'encrypted data').encryptedContentInfo;
    const ciphertext = encryptedContentBytes(info);
    if (!ciphertext) throw new QtError('QT_ERR_PKCS12_MALFORMED', 'The key file is malformed: an encrypted part has no content');
    const algorithm = info.contentEncryptionAlgorithm;
    const safe = await reading.open(algorithm, ciphertext, (plain) => parseAs(plain, SafeContents, 'safe contents'));
    return safe ? readSafeContents(safe, describeEncryption(algorithm), reading, 0) : { keys: [], certificates: [] };
  }
  throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `Key file parts of type ${contentType} are not supported (only password protection)`, {
    oid: contentType,
  });
}

async function readSafeContents(safe: SafeContents, protection: string, reading: Reading, depth: number): Promise<Found> {
  if (depth > MAX_NESTING) throw new QtError('QT_ERR_PKCS12_MALFORMED', 'The key file is malformed: its bags are nested too deeply');
  const found = await Promise.all(safe.map((bag) => readBag(bag, protection, reading, depth)));
  return { keys: found.flatMap((f) => f.keys), certificates: found.flatMap((f) => f.certificates) };
}

function keyFromPrivateKeyInfo(pkcs8: Bytes, labels: BagLabels): Pkcs12Key {
  const info = parseAs(pkcs8, PrivateKeyInfo, 'private key');
  return { pkcs8, algorithmOid: info.privateKeyAlgorithm.algorithm, ...labels };
}

async function readBag(bag: SafeBag, protection: string, reading: Reading, depth: number): Promise<Found> {
  const none: Found = { keys: [], certificates: [] };
  const labels = readBagLabels(bag.bagAttributes);
  switch (bag.bagId) {
    case oid.pkcs12KeyBag: {
      reading.keyProtection.add(protection);
      return { keys: [keyFromPrivateKeyInfo(new Uint8Array(bag.bagValue), labels)], certificates: [] };
    }
    case oid.pkcs12ShroudedKeyBag: {
      const shrouded = parseAs(bag.bagValue, EncryptedPrivateKeyInfo, 'encrypted private key');
      const algorithm = shrouded.encryptionAlgorithm;
      const key = await reading.open(algorithm, new Uint8Array(shrouded.encryptedData.buffer), (plain) => keyFromPrivateKeyInfo(plain, labels));
      reading.keyProtection.add(describeEncryption(algorithm));
      return key ? { keys: [key], certificates: [] } : none;
    }
    case oid.pkcs12CertBag: {
      const certBag = parseAs(bag.bagValue, CertBag, 'certificate bag');
      // SDSI certificates (the only other kind RFC 7292 names) mean nothing to us.
      if (certBag.certId !== oid.x509Certificate) return none;
      const der = octetStringValue(certBag.certValue, 'certificate bag');
      parseAs(der, Certificate, 'certificate');
      reading.certProtection.add(protection);
      return { keys: [], certificates: [{ der, ...labels }] };
    }
    case SAFE_CONTENTS_BAG:
      return readSafeContents(parseAs(bag.bagValue, SafeContents, 'nested safe contents'), protection, reading, depth + 1);
    default:
      // CRL and secret bags carry nothing a key file user needs.
      return none;
  }
}
