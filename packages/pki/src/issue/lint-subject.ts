/**
 * Lint rules on the subject: a person's subject must be exactly NCA's layout (rebuilt from its parsed
 * model, byte for byte — that judges attribute order, string types, IIN/BIN and names in one go);
 * an authority's needs at least a CN.
 */
import { bytesEqual } from '../encoding.ts';
import { isQtError } from '@qoltanba/errors';
import { buildKzSubject, dnValue, parseKzSubject } from '../names/index.ts';
import { oid } from '../oids.ts';
import type { LintCheck } from './lint-context.ts';

export const checkSubject: LintCheck = ({ info, profile, expected, testMode, report }) => {
  if (expected.subject && !bytesEqual(info.subject.der, expected.subject)) {
    report('subject', 'The subject is not the one the caller gave');
  }
  if (profile.subject === 'authority') {
    if (!dnValue(info.subject.dn, oid.commonName)) report('subject', 'An authority certificate needs a CN');
    return;
  }
  let person;
  try {
    person = parseKzSubject(info.subject.dn, { testMode });
  } catch (e) {
    return report('subject', isQtError(e) ? e.message : String(e));
  }
  try {
    if (!bytesEqual(buildKzSubject(person, { testMode }), info.subject.der)) {
      report('subject', "The subject's attribute order, string types or letter case differ from NCA's layout");
    }
  } catch (e) {
    report('subject', isQtError(e) ? e.message : String(e));
  }
  const hasOrganization = person.organization !== undefined;
  if (profile.subject === 'legal-entity' && !hasOrganization) report('subject', `${profile.name} needs the organisation (O) and its BIN (OU)`);
  if (profile.subject === 'individual' && hasOrganization) report('subject', `${profile.name} is for individuals; the subject must carry no organisation or BIN`);
};
