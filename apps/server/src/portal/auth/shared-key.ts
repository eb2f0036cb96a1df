import { formatDate } from '@qoltanba/i18n';
import { inspectCertificate, QtError, type CertificateInfo } from '@qoltanba/pki';
import { findCertificate } from '../../ra/records.ts';
import type { PortalDeps } from '../deps.ts';
import { explain } from '../http/errors.ts';
import type { stateOf } from '../http/request-state.ts';
import { daysLeft, kindLabel, serialLabel } from '../keys/describe.ts';

/**
 * The certificate the agent shared, described for the login page (whose key, valid until, any problem),
 * before anything is signed; nothing is decided here. The operators' console describes keys the same way,
 * so this is its own file that both the portal's login routes and the console's import.
 */
export async function describeSharedKey(deps: PortalDeps, pem: unknown, t: ReturnType<typeof stateOf>['t']) {
  if (typeof pem !== 'string' || pem.length > 16_384) throw new QtError('QT_ERR_INPUT_INVALID', 'certificate (PEM) is required');
  const info = inspectCertificate(pem);
  const now = deps.ctx.now();
  const key = {
    owner: info.kz.commonName ?? info.subject.display,
    iin: info.kz.iin ?? '—',
    kind: info.kind === 'AUTH' || info.kind === 'SIGN' ? kindLabel(t, info.kind) : info.kind,
    validUntil: formatDate(t.locale, info.notAfter),
    daysLeft: t.t('word.days', { count: daysLeft(info.notAfter, now) }),
    issuer: /(?:^|,\s*)CN=([^,]+)/.exec(info.issuer.display)?.[1] ?? info.issuer.display,
    serial: serialLabel(info.serialHex),
  };
  const problem = await keyProblem(deps, info, now);
  return { key, info, serialNumber: info.serialHex, problem: problem ? explainFor(problem, t) : undefined };
}

/** What would stop this key from signing in, as far as the certificate alone and our records tell. */
async function keyProblem(deps: PortalDeps, info: CertificateInfo, now: Date): Promise<QtError | 'notAuth' | undefined> {
  if (info.kind === 'SIGN') return 'notAuth';
  const ca = await deps.ctx.store.db
    .selectFrom('cas')
    .select(['name', 'certificate'])
    .where('kind', '=', 'issuing')
    .execute()
    .then((rows) => rows.find((r) => Buffer.from(inspectCertificate(r.certificate).subject.der).equals(Buffer.from(info.issuer.der))));
  if (!ca) return new QtError('QT_ERR_CHAIN_INCOMPLETE');
  let record;
  try {
    record = await findCertificate(deps.ctx.store.db, ca.name, info.serialHex);
  } catch {
    return new QtError('QT_ERR_CHAIN_INCOMPLETE');
  }
  if (record.status === 'revoked') return new QtError('QT_ERR_CERT_REVOKED', undefined, record.revokedAt ? { revokedAt: record.revokedAt.toISOString() } : undefined);
  if (record.status === 'on_hold') return new QtError('QT_ERR_CERT_ON_HOLD');
  if (now > info.notAfter) return new QtError('QT_ERR_CERT_EXPIRED', undefined, { notAfter: info.notAfter.toISOString() });
  if (info.kind !== 'AUTH') return new QtError('QT_ERR_KEY_USAGE');
  return undefined;
}

function explainFor(problem: QtError | 'notAuth', t: ReturnType<typeof stateOf>['t']) {
  if (problem === 'notAuth') return { what: t.t('login.notAuthKey'), todo: '', remote: false, code: 'QT_ERR_KEY_USAGE' };
  return { ...explain(problem, t), code: problem.code };
}
