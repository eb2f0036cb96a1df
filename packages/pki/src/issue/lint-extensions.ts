/** Lint rules on extensions: each present once, exactly the profile's content and criticality. */
import { bytesEqual, fromHex, toHex } from '../encoding.ts';
import { oid } from '../oids.ts';
import { profileExtKeyUsage } from '../profiles/index.ts';
import { keyIdentifier } from './key-id.ts';
import { normalizeUrls, urlProblem } from './urls.ts';
import type { LintCheck, LintContext } from './lint-context.ts';

/** Every extension we know how to judge; a critical one outside this list would be refused by relying parties. */
const KNOWN = new Set<string>([
  oid.basicConstraints, oid.keyUsage, oid.extKeyUsage, oid.authorityKeyIdentifier, oid.subjectKeyIdentifier,
  oid.certificatePolicies, oid.crlDistributionPoints, oid.freshestCrl, oid.authorityInfoAccess, oid.subjectAltName, oid.ocspNoCheck,
]);

function extension(ctx: LintContext, extOid: string) {
  return ctx.info.extensions.find((e) => e.oid === extOid);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export const checkExtensionSet: LintCheck = ({ info, report }) => {
  const seen = new Set<string>();
  for (const e of info.extensions) {
    if (seen.has(e.oid)) report('extensions', `Extension ${e.name ?? e.oid} appears more than once (RFC 5280 §4.2)`);
    seen.add(e.oid);
    if (e.critical && !KNOWN.has(e.oid)) report('extensions', `Unknown extension ${e.oid} is marked critical`);
  }
};

export const checkKeyUsage: LintCheck = (ctx) => {
  const { info, profile, report } = ctx;
  const ext = extension(ctx, oid.keyUsage);
  if (!ext) return report('key-usage', 'keyUsage is missing');
  if (!ext.critical) report('key-usage', 'keyUsage must be critical');
  const expected = [...profile.keyUsage].sort();
  if (!sameList([...(info.keyUsage ?? [])].sort(), expected)) {
    report('key-usage', `keyUsage is ${info.keyUsage?.join('+') || 'empty'}; ${profile.name} needs ${expected.join('+')}`);
  }
};

export const checkExtKeyUsage: LintCheck = (ctx) => {
  const { info, profile, expected, report } = ctx;
  // Without an expectation, whichever identification method the certificate names is judged in place.
  const method = 'identification' in expected ? expected.identification : info.identification;
  const want = profileExtKeyUsage(profile, method);
  const ext = extension(ctx, oid.extKeyUsage);
  if (want.length === 0) {
    if (ext) report('ext-key-usage', `${profile.name} carries no extKeyUsage`);
    return;
  }
  if (!ext) return report('ext-key-usage', 'extKeyUsage is missing');
  if (ext.critical !== profile.extKeyUsageCritical) {
    report('ext-key-usage', profile.extKeyUsageCritical ? `${profile.name} needs a critical extKeyUsage (RFC 3161 §2.3)` : 'extKeyUsage is written non-critical, as NCA does');
  }
  if (!sameList(info.extKeyUsage, want)) report('ext-key-usage', `extKeyUsage is ${info.extKeyUsage.join(', ')}; ${profile.name} needs ${want.join(', ')}`);
};

export const checkBasicConstraints: LintCheck = ({ info, profile, report }) => {
  const bc = info.basicConstraints;
  if (!profile.basicConstraints) {
    if (bc?.ca || info.keyUsage?.some((u) => u === 'keyCertSign' || u === 'cRLSign')) {
      report('basic-constraints', `${profile.name} is not a CA profile; the certificate must not be a CA`);
    }
    return;
  }
  if (!bc?.ca || !bc.critical) return report('basic-constraints', 'A CA certificate needs a critical basicConstraints with cA');
  if (bc.pathLength !== profile.basicConstraints.pathLength) {
    report('basic-constraints', `pathLen is ${bc.pathLength ?? 'absent'}; ${profile.name} needs ${profile.basicConstraints.pathLength ?? 'absent'}`);
  }
};

export const checkPolicies: LintCheck = (ctx) => {
  const { info, profile, expected, report } = ctx;
  const oids = info.policies.map((p) => p.oid);
  if (!sameList(oids, profile.policy ? [profile.policy] : [])) {
    report('certificate-policies', `The policies are [${oids.join(', ')}]; ${profile.name} needs [${profile.policy ?? ''}]`);
  }
  if (extension(ctx, oid.certificatePolicies)?.critical) report('certificate-policies', 'certificatePolicies is written non-critical');
  if (expected.cps) {
    const policy = info.policies[0];
    const notice = expected.cps.notice ?? expected.cps.uri;
    if (!policy || !sameList(policy.cpsUris, [expected.cps.uri]) || !sameList(policy.notices, [notice])) {
      report('certificate-policies', 'The CPS qualifiers are not the configured ones');
    }
  }
};

export const checkKeyIdentifiers: LintCheck = async ({ info, issuer, report }) => {
  const ski = await keyIdentifier(info.publicKey.spki);
  if (info.subjectKeyId !== toHex(ski)) report('subject-key-id', 'subjectKeyIdentifier is missing or is not the SHA-1 of the public key (method 1)');
  const issuerKeyId = issuer.subjectKeyId ? fromHex(issuer.subjectKeyId) : await keyIdentifier(issuer.publicKey.spki);
  if (!info.authorityKeyId || !bytesEqual(fromHex(info.authorityKeyId), issuerKeyId)) {
    report('authority-key-id', "authorityKeyIdentifier is missing or is not the issuer's key identifier");
  }
};

export const checkUrls: LintCheck = ({ info, profile, expected, report }) => {
  for (const kind of profile.requiredUrls) {
    if (info.urls[kind].length === 0) report('urls', `The ${kind} URL is required by ${profile.name}`);
  }
  for (const url of Object.values(info.urls).flat()) {
    const problem = urlProblem(url);
    if (problem) report('urls', `URL ${problem}`);
  }
  if (expected.urls) {
    const want = normalizeUrls(expected.urls);
    for (const kind of ['crl', 'deltaCrl', 'ocsp', 'caIssuers'] as const) {
      if (!sameList(info.urls[kind], want[kind])) report('urls', `The ${kind} URLs are not the configured ones`);
    }
  }
};

export const checkSubjectAltName: LintCheck = (ctx) => {
  const { info, expected, report } = ctx;
  const want = expected.email ? [expected.email] : [];
  if (!sameList(info.emails, want)) report('subject-alt-name', `The SAN e-mail addresses are [${info.emails.join(', ')}], expected [${want.join(', ')}]`);
  const san = extension(ctx, oid.subjectAltName);
  // RFC 5280 §4.2.1.6: critical only when the subject is empty, which ours never is.
  if (san?.critical) report('subject-alt-name', 'subjectAltName must not be critical when the subject is not empty');
};

export const checkOcspNoCheck: LintCheck = ({ info, profile, report }) => {
  if (info.ocspNoCheck !== profile.ocspNoCheck) {
    report('ocsp-nocheck', profile.ocspNoCheck ? 'A delegated OCSP responder needs id-pkix-ocsp-nocheck' : `${profile.name} must not carry id-pkix-ocsp-nocheck`);
  }
};
