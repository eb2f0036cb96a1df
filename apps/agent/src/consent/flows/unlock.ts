/** Opening the storage the user chose with the password or PIN typed into the page, counting wrong attempts. */
import { isQtError } from '@qoltanba/pki';
import type { KeySource, KeySources, UnlockedSource } from '../../keystores/types.ts';
import type { ConsentForm, ConsentSession } from '../session.ts';

const BAD_FILE = new Set(['QT_ERR_PKCS12_MALFORMED', 'QT_ERR_PKCS12_NO_KEY', 'QT_ERR_PKCS12_NO_CERTIFICATE', 'QT_ERR_TOO_LARGE', 'QT_ERR_DER_MALFORMED']);
const TOKEN_GONE = new Set(['QT_ERR_TOKEN_NOT_FOUND', 'QT_ERR_AGENT_STORAGE_UNAVAILABLE', 'QT_ERR_PKCS11']);

/** Which source the form names: an attached file wins (the user just chose it), else the ticked radio button. */
export function chosenSource(form: ConsentForm, sources: readonly KeySource[]): KeySource | undefined {
  const upload = form.file('keyfile');
  if (upload && upload.length > 0) return sources.find((s) => s.kind === 'upload');
  const id = form.get('source');
  return sources.find((s) => s.id === id && s.kind !== 'upload');
}

export async function unlockFromForm<T>(
  session: ConsentSession<T>,
  form: ConsentForm,
  sources: readonly KeySource[],
  keySources: KeySources,
): Promise<UnlockedSource | undefined> {
  const source = chosenSource(form, sources);
  if (!source) {
    session.flash = { key: 'error.noSource' };
    return undefined;
  }
  try {
    return await keySources.unlock(source, form.get('secret') ?? '', source.kind === 'upload' ? form.file('keyfile') : undefined);
  } catch (e) {
    if (isQtError(e, 'QT_ERR_PKCS12_PASSWORD') || isQtError(e, 'QT_ERR_PIN_INCORRECT')) session.wrongSecret();
    else if (isQtError(e, 'QT_ERR_PIN_LOCKED')) session.flash = { key: 'error.pinLocked' };
    else if (isQtError(e) && BAD_FILE.has(e.code)) session.flash = { key: 'error.badFile' };
    else if (isQtError(e, 'QT_ERR_ALGORITHM_UNSUPPORTED')) session.flash = { key: 'error.algorithm' };
    else if (isQtError(e) && TOKEN_GONE.has(e.code)) session.flash = { key: 'error.tokenGone' };
    else throw e;
    return undefined;
  }
}

/** The operation itself failed after the user confirmed: the page says why and the caller gets the error. */
export function failWork<T>(session: ConsentSession<T>, e: unknown): void {
  const reason = isQtError(e) ? e.message : 'internal error';
  session.fail(isQtError(e) ? e.code : 'QT_ERR_AGENT_PARAMS_INVALID', 'result.failed', { reason }, e);
}
