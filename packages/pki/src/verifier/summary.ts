/** A document is valid when it has signers and every one of them is; its error is the first signer's. */
import { QtError } from '@qoltanba/errors';
import type { DocumentKind, DocumentVerdict, SignerVerdict } from './types.ts';

export function summarize(
  kind: DocumentKind,
  at: Date,
  signers: SignerVerdict[],
  extra: Pick<DocumentVerdict, 'cms' | 'xml'> = {},
): DocumentVerdict {
  const failed = signers.find((s) => !s.valid);
  const error = failed?.error ?? (signers.length === 0 ? new QtError('QT_ERR_SIGNATURE_INVALID', 'The document has no signer') : undefined);
  return { valid: error === undefined, kind, at, error, signers, ...extra };
}
