/** Lint rules on the certificate's frame: version, serial, algorithm, names chaining, validity, key. */
import { bytesEqual } from '../encoding.ts';
import { addPeriod, formatPeriod } from '../profiles/index.ts';
import { checkPublicKeyPolicy } from '../csr/index.ts';
import { isQtError } from '@qoltanba/errors';
import type { TimeField } from '../certificate/parse.ts';
import type { LintCheck } from './lint-context.ts';

export const checkVersion: LintCheck = ({ info, report }) => {
  if (info.version !== 3) report('version', `The version is ${info.version}; extensions need version 3`);
};

/** RFC 5280 §4.1.2.2: positive, at most 20 octets; ≥ 64 bits of entropy needs ≥ 8 octets of value. */
export const checkSerial: LintCheck = ({ parsed, report }) => {
  const raw = parsed.serial;
  if (raw.length === 0) return report('serial', 'The serial number is empty');
  if ((raw[0] as number) & 0x80) return report('serial', 'The serial number is negative');
  if (raw.length > 20) report('serial', `The serial number has ${raw.length} octets; at most 20 are allowed`);
  if (raw.length > 1 && raw[0] === 0 && !((raw[1] as number) & 0x80)) report('serial', 'The serial number is not minimally encoded');
  const value = raw[0] === 0 ? raw.subarray(1) : raw;
  if (value.every((b) => b === 0)) report('serial', 'The serial number is zero');
  else if (value.length < 8) report('serial', `The serial number has ${value.length * 8} bits; at least 64 random bits are required`);
};

export const checkSignatureAlgorithm: LintCheck = ({ parsed, report }) => {
  const inner = parsed.innerAlgorithm;
  const outer = parsed.signatureAlgorithm;
  const none = new Uint8Array(0);
  if (inner.oid !== outer.oid || !bytesEqual(inner.parameters ?? none, outer.parameters ?? none)) {
    report('signature-algorithm', 'The signature algorithm inside the TBS differs from the outer one (RFC 5280 §4.1.1.2)');
  }
};

export const checkIssuerName: LintCheck = ({ info, issuer, profile, report }) => {
  if (!bytesEqual(info.issuer.der, issuer.subject.der)) report('issuer-name', "The issuer name is not the issuing CA's subject, byte for byte");
  if (profile.selfSigned !== info.selfIssued) {
    report('self-signed', profile.selfSigned ? 'A root must be issued by itself' : 'Only a root may have the same subject and issuer');
  }
};

export const checkIssuerCanIssue: LintCheck = ({ info, issuer, profile, report }) => {
  if (profile.selfSigned) return;
  if (!issuer.basicConstraints?.ca || !issuer.keyUsage?.includes('keyCertSign')) {
    report('issuer', 'The issuer is not a CA allowed to sign certificates (basicConstraints cA, keyCertSign)');
  }
  if (profile.basicConstraints && issuer.basicConstraints?.pathLength === 0) {
    report('issuer', 'The issuer has pathLen 0 and may not issue CA certificates');
  }
};

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function timeEncodingOk(time: TimeField): boolean {
  return time.date.getUTCFullYear() < 2050 ? !time.generalized : time.generalized;
}

export const checkValidity: LintCheck = ({ info, parsed, issuer, profile, expected, report }) => {
  const { notBefore, notAfter } = info;
  if (!(notBefore < notAfter)) report('validity', 'notBefore is not before notAfter');
  if (!timeEncodingOk(parsed.notBefore) || !timeEncodingOk(parsed.notAfter)) {
    report('validity', 'Times must be UTCTime through 2049 and GeneralizedTime from 2050');
  }
  const period = expected.keyStorage ? profile.validity[expected.keyStorage] : undefined;
  const allowed = period ? [period] : Object.values(profile.validity);
  const longest = allowed.reduce((max, p) => (addPeriod(notBefore, p) > addPeriod(notBefore, max) ? p : max));
  if (notAfter > addPeriod(notBefore, longest)) report('validity', `The validity is longer than ${profile.name} allows (${formatPeriod(longest)})`);
  if (!profile.selfSigned && (notBefore < issuer.notBefore || notAfter > issuer.notAfter)) {
    report('validity', "The validity is not inside the issuer's validity");
  }
};

export const checkPublicKey: LintCheck = ({ info, expected, report }) => {
  try {
    checkPublicKeyPolicy(info.publicKey.spki);
  } catch (e) {
    report('public-key', isQtError(e) ? e.message : String(e));
  }
  if (expected.publicKey && !bytesEqual(info.publicKey.spki, expected.publicKey)) {
    report('public-key', 'The public key is not the one requested');
  }
};
