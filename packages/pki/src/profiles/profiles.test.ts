import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/errors';
import { oid } from '../oids.ts';
import { getProfile, isProfileName, profileExtKeyUsage, profileNames, profiles } from './profiles.ts';
import { matchProfile } from './match.ts';
import { addPeriod } from './period.ts';

test('there is one profile per person certificate, legal role, the RA operator and infrastructure certificate', () => {
  assert.equal(profiles.length, 17);
  assert.equal(new Set(profileNames).size, 17);
  assert.ok(isProfileName('tsa-signing'));
  for (const role of ['ceo', 'signing-right', 'finance', 'hr', 'employee']) {
    assert.ok(isProfileName(`legal-${role}-auth`) && isProfileName(`legal-${role}-sign`), role);
  }
});

test("person profiles carry NCA's key usage, EKU with role OIDs and policies", () => {
  const sign = getProfile('individual-sign');
  assert.deepEqual([...sign.keyUsage], ['digitalSignature', 'nonRepudiation']);
  assert.deepEqual([...sign.extKeyUsage], [oid.ekuEmailProtection, oid.roleIndividual]);
  assert.equal(sign.policy, oid.policyIndividualSign);
  const auth = getProfile('individual-auth');
  assert.deepEqual([...auth.keyUsage], ['digitalSignature', 'keyEncipherment']);
  assert.deepEqual([...auth.extKeyUsage], [oid.ekuClientAuth, oid.roleIndividual]);
  assert.equal(auth.policy, oid.policyIndividualAuth);
  const ceo = getProfile('legal-ceo-sign');
  assert.deepEqual([...ceo.extKeyUsage], [oid.ekuEmailProtection, oid.roleLegalEntity, oid.roleCeo]);
  assert.equal(ceo.policy, oid.policyLegalEntitySign);
  assert.equal(ceo.subject, 'legal-entity');
  assert.equal(getProfile('legal-hr-auth').policy, oid.policyLegalEntityAuth);
  assert.deepEqual(getProfile('legal-employee-auth').roles, [oid.roleLegalEntity, oid.roleEmployee]);
  assert.deepEqual(sign.validity, { file: { years: 1 }, token: { years: 3 } });
  for (const p of profiles.filter((x) => x.kind === 'AUTH' || x.kind === 'SIGN')) {
    assert.equal(p.basicConstraints, undefined, p.name);
    assert.deepEqual([...p.requiredUrls].sort(), ['caIssuers', 'crl', 'deltaCrl', 'ocsp'], p.name);
  }
});

test('the RA operator profile is an individual AUTH certificate that adds role 1.2.398.3.3.4.2.3, and only it is restricted', () => {
  const op = getProfile('ra-operator-auth');
  assert.equal(op.kind, 'AUTH');
  assert.equal(op.subject, 'individual');
  assert.deepEqual([...op.keyUsage], ['digitalSignature', 'keyEncipherment']);
  assert.deepEqual([...op.extKeyUsage], [oid.ekuClientAuth, oid.roleIndividual, oid.roleRaOperator]);
  assert.deepEqual([...op.roles], [oid.roleIndividual, oid.roleRaOperator]);
  assert.equal(op.policy, oid.policyIndividualAuth);
  assert.deepEqual(profileExtKeyUsage(op, 'in-person'), [oid.ekuClientAuth, oid.roleIndividual, oid.roleRaOperator, oid.identifiedInPerson]);
  assert.deepEqual(profiles.filter((p) => p.restricted).map((p) => p.name), ['ra-operator-auth']);
});

test('infrastructure profiles: root, issuing CA with pathLen 0, short-lived OCSP responder with nocheck', () => {
  assert.deepEqual(getProfile('root-ca').basicConstraints, {});
  assert.equal(getProfile('root-ca').selfSigned, true);
  assert.deepEqual(getProfile('issuing-ca').basicConstraints, { pathLength: 0 });
  const ocsp = getProfile('ocsp-signing');
  assert.deepEqual([...ocsp.extKeyUsage], [oid.ekuOcspSigning]);
  assert.equal(ocsp.ocspNoCheck, true);
  assert.ok((ocsp.validity.file.days ?? 0) <= 90);
});

test('the identification method goes into the EKU after the role', () => {
  assert.deepEqual(profileExtKeyUsage(getProfile('individual-sign'), 'remote'), [oid.ekuEmailProtection, oid.roleIndividual, oid.identifiedRemotely]);
  assert.deepEqual(profileExtKeyUsage(getProfile('individual-sign')), [oid.ekuEmailProtection, oid.roleIndividual]);
});

test('an unknown profile name is QT_ERR_PROFILE_UNKNOWN and names the known ones', () => {
  assert.throws(() => getProfile('individual-encrypt'), (e) => isQtError(e, 'QT_ERR_PROFILE_UNKNOWN') && /individual-sign/.test(e.message));
  assert.throws(() => getProfile('toString'), (e) => isQtError(e, 'QT_ERR_PROFILE_UNKNOWN'));
});

test('every profile matches itself and no other', () => {
  for (const p of profiles) {
    const features = {
      keyUsage: p.keyUsage,
      extKeyUsage: profileExtKeyUsage(p, p.identification ? 'in-person' : undefined),
      policies: p.policy ? [p.policy] : [],
      ca: !!p.basicConstraints,
      pathLength: p.basicConstraints?.pathLength,
      selfSigned: p.selfSigned,
      ocspNoCheck: p.ocspNoCheck,
    };
    assert.equal(matchProfile(features), p.name);
    assert.equal(matchProfile({ ...features, policies: ['1.2.3'] }), undefined, p.name);
  }
});

test('periods add calendar years; a year after 29 February is 28 February', () => {
  assert.equal(addPeriod(new Date('2022-01-18T04:38:50Z'), { years: 1 }).toISOString(), '2023-01-18T04:38:50.000Z');
  assert.equal(addPeriod(new Date('2024-02-29T10:00:00Z'), { years: 1 }).toISOString(), '2025-02-28T10:00:00.000Z');
  assert.equal(addPeriod(new Date('2024-01-31T00:00:00Z'), { months: 1, days: 2 }).toISOString(), '2024-03-02T00:00:00.000Z');
});
