/**
 * Making a PKCS#10 request with a Signer — how the agent asks for certificates for keys it has just
 * generated. The subject is optional: our CA takes the subject from the RA, never from the request.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { toArrayBuffer, toPem, type Bytes } from '../encoding.ts';
import { algorithmIdentifier, type Signer } from '../crypto/index.ts';
import { encodeDn, type DnInput } from '../names/index.ts';

export interface CreatedCsr {
  der: Bytes;
  pem: string;
}

/** `subject` is a DER Name or attributes for `encodeDn`; absent means an empty name. */
export async function createCsr(signer: Signer, subject?: Uint8Array | DnInput): Promise<CreatedCsr> {
  const subjectDer = subject === undefined ? encodeDn([]) : subject instanceof Uint8Array ? subject : encodeDn(subject);
  const info = new CertificationRequestInfo({
    version: 0,
    subject: AsnConvert.parse(toArrayBuffer(subjectDer), Name),
    subjectPKInfo: AsnConvert.parse(toArrayBuffer(signer.publicKey), SubjectPublicKeyInfo),
  });
  const tbs = new Uint8Array(AsnConvert.serialize(info));
  const signature = await signer.sign(tbs);
  const der = new Uint8Array(
    AsnConvert.serialize(
      new CertificationRequest({
        certificationRequestInfo: info,
        signatureAlgorithm: algorithmIdentifier(signer.algorithm),
        signature: toArrayBuffer(signature),
      }),
    ),
  );
  return { der, pem: toPem('CERTIFICATE REQUEST', der) };
}
