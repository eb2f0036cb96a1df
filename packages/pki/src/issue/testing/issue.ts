/** Test support: a real root + issuing CA made by our own issuance code, and a Signer that counts calls. */
import { generateRsaKeyPair, webCryptoSigner, type Signer } from '../../crypto/index.ts';
import { createCsr } from '../../csr/index.ts';
import type { Bytes } from '../../encoding.ts';
import { issueCaCertificate, type IssuedCertificate } from '../issue.ts';

export const testUrls = {
  crl: 'http://127.0.0.1:8080/crl/qoltanba-rsa.crl',
  deltaCrl: 'http://127.0.0.1:8080/crl/qoltanba-rsa-delta.crl',
  ocsp: 'http://127.0.0.1:8080/ocsp',
  caIssuers: 'http://127.0.0.1:8080/cert/qoltanba-rsa.cer',
};

export interface TestChain {
  root: IssuedCertificate;
  rootSigner: Signer;
  issuing: IssuedCertificate;
  issuingSigner: Signer;
}

export async function newSigner(bits = 2048): Promise<Signer> {
  const keys = await generateRsaKeyPair(bits);
  return webCryptoSigner(keys.privateKey, keys.publicKey);
}

export async function buildChain(bits = 2048, issuingNotAfter?: Date): Promise<TestChain> {
  const [rootSigner, issuingSigner] = await Promise.all([newSigner(bits), newSigner(bits)]);
  const root = await issueCaCertificate({
    profile: 'root-ca',
    subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: 'ҚОЛТАҢБА ТҮБІРЛІК ОРТАЛЫҚ (RSA) TEST' }],
    signer: rootSigner,
  });
  const issuing = await issueCaCertificate({
    profile: 'issuing-ca',
    subject: [{ type: 'C', value: 'KZ' }, { type: 'CN', value: 'ҚОЛТАҢБА КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) TEST' }],
    publicKey: issuingSigner.publicKey,
    issuer: { certificate: root.der, signer: rootSigner },
    urls: { crl: 'http://127.0.0.1:8080/crl/root.crl', caIssuers: 'http://127.0.0.1:8080/cert/root.cer' },
    ...(issuingNotAfter ? { notAfter: issuingNotAfter } : {}),
  });
  return { root, rootSigner, issuing, issuingSigner };
}

/** Wraps a signer; `calls()` says how often the real key was used. */
export function countingSigner(inner: Signer): { signer: Signer; calls: () => number } {
  let count = 0;
  return {
    signer: {
      publicKey: inner.publicKey,
      algorithm: inner.algorithm,
      sign(data) {
        count++;
        return inner.sign(data);
      },
    },
    calls: () => count,
  };
}

/** A fresh subscriber key and a CSR for it (with a subject the CA must ignore). */
export async function subscriberCsr(subject = [{ type: 'CN', value: 'EVIL HACKER' }, { type: 'O', value: 'NOT AN ORG' }]): Promise<{ signer: Signer; csr: Bytes }> {
  const signer = await newSigner();
  return { signer, csr: (await createCsr(signer, subject)).der };
}
