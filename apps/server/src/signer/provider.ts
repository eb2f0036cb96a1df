/**
 * How the rest of the server obtains a Signer for a CA or OCSP key without ever holding the key: in the
 * one-command start the keys are opened in-process from the keystore; with `--role signer` elsewhere, the
 * same interface is served by a NetworkSignerProvider (network.ts) that calls the signer process over its authenticated
 * internal API. Callers say *what* they sign (purpose), so the signer can check the bytes before signing.
 */
import type { Signer } from '@qoltanba/pki';

/**
 * What a signature is for; the signer refuses bytes that are not a structure of this kind. 'certificate'
 * is a subscriber (or OCSP-responder, TSA) certificate: a key opened for it never signs a CA certificate.
 * 'timestamp' is the signed attributes of an RFC 3161 token (content type TSTInfo), and nothing else.
 * 'audit-checkpoint' is the audit checkpoint key's one use (audit/checkpoints/format.ts).
 */
export type SigningPurpose = 'certificate' | 'ca-certificate' | 'crl' | 'ocsp' | 'timestamp' | 'audit-checkpoint';

export interface SignerProvider {
  /** A Signer for the CA key at `keyUri`, restricted to `purpose`. */
  signerFor(keyUri: string, purpose: SigningPurpose): Promise<Signer>;
  close(): Promise<void>;
}
