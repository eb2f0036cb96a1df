/** Locations of the real NCA artefacts copied from ../shared/fixtures into test/fixtures. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');

export function fixturePath(...parts: string[]): string {
  return join(fixturesDir, ...parts);
}

export function readFixture(...parts: string[]): Uint8Array<ArrayBuffer> {
  const buf = readFileSync(fixturePath(...parts));
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) as Uint8Array<ArrayBuffer>;
}

/** Instants inside the fixtures' validity windows (everything has expired since). */
export const TEST_CA_TIME = new Date('2022-03-01T00:00:00Z');
export const PROD_2018_TIME = new Date('2019-06-01T00:00:00Z');

export const nca = {
  rsaCa: ['nca', 'ca', 'nca_rsa_test.crt'],
  gostCa: ['nca', 'ca', 'nca_gost_test.crt'],
  gost2015Ca: ['nca', 'ca', 'nca_gost2015_test.cer'],
  signCert: ['nca', 'certs', 'individual_valid_sign_2004_rsa.cer'],
  authCert: ['nca', 'certs', 'individual_valid_sign_2004_rsa_auth.cer'],
  ceoGostCert: ['nca', 'certs', 'ceo_valid_sign_2004_gost.cer'],
  rsaCrl: ['nca', 'crl', 'nca_rsa_test.crl'],
  gostCrl: ['nca', 'crl', 'nca_gost_test.crl'],
  gost2022Crl: ['nca', 'crl', 'nca_gost2022_test.crl'],
  validSignKey: ['nca', 'keys', 'KEY_INDIVIDUAL_VALID_SIGN_2004.p12'],
  revokedAuthKey: ['nca', 'keys', 'KEY_INDIVIDUAL_AUTH_REVOKED_2004.p12'],
  revokedSignKey: ['nca', 'keys', 'KEY_INDIVIDUAL_SIGN_REVOKED_2004.p12'],
  ceoSignRevoked2004Key: ['nca', 'keys', 'KEY_CEO_SIGN_REVOKED_2004.p12'],
  valid2015Key: ['nca', 'keys', 'KEY_INDIVIDUAL_VALID_2015.p12'],
  ceoRevoked2015Key: ['nca', 'keys', 'KEY_CEO_REVOKED_2015.p12'],
  ocspIndividualSign2004: ['nca', 'ocsp', 'ocsp_response_individual_sign_2004.bin'],
  ocspCeoSign2004Revoked: ['nca', 'ocsp', 'ocsp_response_ceo_sign_2004_revoked.bin'],
  ocspIndividual2015: ['nca', 'ocsp', 'ocsp_response_individual_2015.bin'],
  ocspCeo2015Revoked: ['nca', 'ocsp', 'ocsp_response_ceo_2015_revoked.bin'],
  tspResponse: ['nca', 'tsp', 'tsp_response.bin'],
  tspToken: ['nca', 'tsp', 'tsp_token.bin'],
} as const;

export const prod2018 = {
  rootRsa: ['nca-prod-2018', 'root_rsa.crt'],
  rootGost: ['nca-prod-2018', 'root_gost.crt'],
  ncaRsa: ['nca-prod-2018', 'nca_rsa.crt'],
  ncaGost: ['nca-prod-2018', 'nca_gost.crt'],
  authKey: ['nca-prod-2018', 'AUTH_RSA256_6b361b864c679601b652fe387f61fcd9303c0327.p12'],
  signKey: ['nca-prod-2018', 'RSA256_8426360556902ce4ac33977836f873e1dc190976.p12'],
  gostKey: ['nca-prod-2018', 'GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12'],
} as const;

export const TEST_KEY_PASSWORD = 'Qwerty12';
export const GOST2015_KEY_PASSWORD = 'Aa123456';

/**
 * NIST PKITS 1.0.1 (copied from ../shared/fixtures/pkits, see test/fixtures/pkits/README.md): 405 certificates,
 * 173 CRLs and tests.json with the expected result and RFC 5280 inputs of each of the 249 cases.
 */
export const pkits = {
  certs: ['pkits', 'certs'],
  crls: ['pkits', 'crls'],
  tests: ['pkits', 'tests.json'],
  anchor: 'TrustAnchorRootCertificate.crt',
  /** Every case gives its specified result at this instant (README: "Validation time to use"). */
  time: new Date('2011-04-15T00:00:00Z'),
} as const;
