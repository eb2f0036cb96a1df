/**
 * The identity document step: the number and issue date the person types must be the registry's. The
 * page never shows the registry's values; wrong entries are counted (the last allowed one refuses the
 * application), and a document the registry says has expired stops the remote route altogether.
 */
import { QtError } from '@qoltanba/pki';
import { appendAudit } from '../audit/index.ts';
import { normalizeDocumentNumber } from '../population/index.ts';
import { parseDay } from '../csv/two-pass.ts';
import type { RemoteDeps, Visitor } from './deps.ts';
import { accessOf, expectStep, loadRemote, moveRemote } from './store.ts';
import { remoteDb } from './tables.ts';

/** Today's date in Kazakhstan (documents expire at the end of a local day). */
export function almatyDay(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Almaty', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export async function checkDocument(deps: RemoteDeps, visitor: Visitor, id: string, input: { number: unknown; issuedOn: unknown }): Promise<void> {
  const { ctx } = deps.portal;
  const number = typeof input.number === 'string' ? normalizeDocumentNumber(input.number) : undefined;
  const issuedOn = typeof input.issuedOn === 'string' ? parseDay(input.issuedOn.trim()) : undefined;
  // Malformed input is not a wrong document: nothing is counted.
  if (!number) throw new QtError('QT_ERR_INPUT_INVALID', 'The document number is 6–12 Latin letters and digits', { field: 'number' });
  if (!issuedOn) throw new QtError('QT_ERR_INPUT_INVALID', 'The issue date is not a date', { field: 'issuedOn' });
  const now = ctx.now();
  // The registry is asked before the transaction: an adapter may use its own connection (PGlite has one).
  const seen = await loadRemote(ctx.store.db, id);
  const person = await deps.population.person(seen.iin);
  const failure = await ctx.store.db.transaction().execute(async (trx): Promise<QtError | undefined> => {
    const r = await loadRemote(trx, id, { forUpdate: true });
    if ((await accessOf(trx, r, visitor.sessionSha256)) !== 'owner') throw new QtError('QT_ERR_APPLICATION_NOT_FOUND');
    expectStep(r, 'document');
    if (!person || person.status !== 'alive') {
      await moveRemote(trx, r, 'submitted', 'rejected', now, { actor: 'system:remote', reason: 'person-not-eligible' });
      return new QtError('QT_ERR_PERSON_NOT_ELIGIBLE');
    }
    const rdb = remoteDb(trx);
    if (number !== person.document.number || issuedOn !== person.document.issuedOn) {
      const attempts = r.documentAttempts + 1;
      await rdb.updateTable('remote_applications').set({ document_attempts: attempts, updated_at: now }).where('application_id', '=', r.id).execute();
      await appendAudit(trx, { actor: `citizen:${r.iin}`, action: 'remote.document-mismatch', target: `application:${r.id}`, details: { applicationId: r.id, attempts } });
      if (attempts >= deps.options.maxDocumentAttempts) {
        await moveRemote(trx, r, 'submitted', 'rejected', now, { actor: 'system:remote', reason: 'document-attempts', details: { attempts } });
        return new QtError('QT_ERR_DOCUMENT_ATTEMPTS', undefined, { attempts });
      }
      return new QtError('QT_ERR_DOCUMENT_MISMATCH', undefined, { attemptsLeft: deps.options.maxDocumentAttempts - attempts });
    }
    if (person.document.expiresOn < almatyDay(now)) {
      await moveRemote(trx, r, 'submitted', 'rejected', now, { actor: 'system:remote', reason: 'document-expired', details: { documentType: person.document.type } });
      return new QtError('QT_ERR_DOCUMENT_EXPIRED', undefined, { expiresOn: person.document.expiresOn });
    }
    await rdb.updateTable('remote_applications').set({ document_checked_at: now, updated_at: now }).where('application_id', '=', r.id).execute();
    await appendAudit(trx, { actor: `citizen:${r.iin}`, action: 'remote.document-matched', target: `application:${r.id}`, details: { applicationId: r.id, documentType: person.document.type } });
    return undefined;
  });
  if (failure) throw failure;
}
