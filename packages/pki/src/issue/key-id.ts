/** Key identifiers by RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value. */
import { digest } from '../crypto/index.ts';
import { readSpki } from '../crypto/spki.ts';
import type { Bytes } from '../encoding.ts';

// One issuance asks for its subject key's identifier twice (the plan writes it, the lint checks it): the
// answers are remembered by the key's DER, a few at a time, so the second costs a map look-up instead of a
// parse and a SHA-1 round trip through WebCrypto's thread pool.
const REMEMBERED = 64;
const remembered = new Map<string, Bytes>();

export async function keyIdentifier(spki: Uint8Array): Promise<Bytes> {
  const key = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString('base64');
  const known = remembered.get(key);
  if (known) return known.slice();
  // The DER walker, not a tree parse: the same SubjectPublicKeyInfo checks (spki.ts) at a fraction of the cost.
  const id = await digest('SHA-1', readSpki(spki).publicKey);
  if (remembered.size >= REMEMBERED) remembered.delete(remembered.keys().next().value as string);
  remembered.set(key, id.slice());
  return id;
}
