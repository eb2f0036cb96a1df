/**
 * The one place where failures become NCALayer replies. Handlers throw QtErrors with stable codes; this file
 * decides how each family (see envelope.ts) shows them. Messages of errors that are not ours are never passed
 * through: a library's text could echo input we must not reflect, so the page gets a generic sentence instead.
 */
import { isQtError, type QtError, type QtErrorCode } from '@qoltanba/pki';
import { reply, type AgentReply, type ReplyFamily } from './envelope.ts';

/** NCALayer's basics failure codes; a method names the one that fits when its own work fails. */
export type BasicsFailureCode =
  | 'INVALID_SIGNING_PARAMS'
  | 'SIGNING_FAILURE'
  | 'CSR_GENERATING_FAILURE'
  | 'CERTIFICATE_IMPORTING_FAILURE'
  | 'INVALID_IMPORTING_CERTIFICATE'
  | 'GENERAL_ERROR'
  | 'INVOCATION_ERROR';

export interface FailureContext {
  family: ReplyFamily;
  method: string;
  /** basics code for failures of the method's own work (signing, CSR, import). */
  workFailure?: BasicsFailureCode;
}

const GENERIC_FAILURE = 'The agent could not complete the request';

/** Codes that mean "the caller sent something unusable", as opposed to "the work failed". */
const invalidInput = new Set<QtErrorCode>([
  'QT_ERR_AGENT_PARAMS_INVALID',
  'QT_ERR_INPUT_INVALID',
  'QT_ERR_BASE64_MALFORMED',
  'QT_ERR_PEM_MALFORMED',
  'QT_ERR_DER_MALFORMED',
  'QT_ERR_XML_MALFORMED',
  'QT_ERR_XML_XPATH_NOT_FOUND',
  'QT_ERR_TOO_LARGE',
  'QT_ERR_CERT_MALFORMED',
  'QT_ERR_CMS_MALFORMED',
  'QT_ERR_CMS_NO_CONTENT',
  'QT_ERR_CMS_DIGEST_MISMATCH',
]);

function basicsCodeFor(e: QtError, ctx: FailureContext): BasicsFailureCode {
  if (e.code === 'QT_ERR_AGENT_ARGUMENT_TYPE') return 'INVOCATION_ERROR';
  if (e.code === 'QT_ERR_AGENT_CERT_NOT_PENDING' || e.code === 'QT_ERR_KEY_MISMATCH') return 'INVALID_IMPORTING_CERTIFICATE';
  if (invalidInput.has(e.code)) return ctx.workFailure === 'CERTIFICATE_IMPORTING_FAILURE' ? 'INVALID_IMPORTING_CERTIFICATE' : 'INVALID_SIGNING_PARAMS';
  if (e.code.startsWith('QT_ERR_AGENT_')) return 'GENERAL_ERROR';
  return ctx.workFailure ?? 'GENERAL_ERROR';
}

export function failureReply(error: unknown, ctx: FailureContext): AgentReply {
  if (!isQtError(error)) {
    return ctx.family === 'common'
      ? reply.commonError(GENERIC_FAILURE)
      : reply.basicsError(ctx.workFailure ?? 'GENERAL_ERROR', GENERIC_FAILURE, 'QT_ERR_INTERNAL');
  }
  if (error.code === 'QT_ERR_AGENT_CANCELLED') {
    return ctx.family === 'common' ? reply.commonCancelled() : reply.basicsCancelled();
  }
  if (ctx.family === 'common') {
    if (error.code === 'QT_ERR_AGENT_ARGUMENT_TYPE') {
      // Word for word what NCALayer's Java reflection says; some sites match on it.
      return reply.commonError(`java.lang.IllegalArgumentException: argument type mismatch. Method: ${ctx.method}`);
    }
    if (error.code === 'QT_ERR_AGENT_MODULE_UNKNOWN') {
      // NCALayer's module registry answers {success:false, errorCode:"MODULE_NOT_FOUND"}; we add code/message so
      // clients that read the commonUtils shape (ncalayer-js-client does) reject it with a readable reason.
      return { code: '500', message: error.message, errorCode: 'MODULE_NOT_FOUND', success: false };
    }
    return reply.commonError(error.message);
  }
  if (error.code === 'QT_ERR_AGENT_ARGUMENT_TYPE') {
    return reply.basicsError('INVOCATION_ERROR', 'An invoked method threw an exception.', error.message);
  }
  return reply.basicsError(basicsCodeFor(error, ctx), error.message, error.code);
}
