/**
 * Authentication and scopes for the CA API: an onRequest hook per route, so an unauthenticated request is
 * refused before its body is even read. Refusals of a known token for want of a scope are audited (a
 * credential used beyond its purpose is an event an auditor wants to see); unknown or malformed tokens
 * are logged by reason only, never by value, and not audited (anyone can send garbage, and the audit
 * chain is not a place anonymous callers may fill).
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { QtError, isQtError } from '@qoltanba/pki';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { appendAudit } from '../audit/index.ts';
import { withStore } from '../ra/db-errors.ts';
import { authenticateApiToken, unauthenticatedReason, type ApiPrincipal, type ApiScope } from './tokens.ts';

const principals = new WeakMap<FastifyRequest, ApiPrincipal>();

/** The authenticated caller of a request that passed requireScope. */
export function principalOf(request: FastifyRequest): ApiPrincipal {
  const p = principals.get(request);
  if (!p) throw new QtError('QT_ERR_INTERNAL', 'route has no authentication hook');
  return p;
}

export function requireScope(db: Kysely<Database>, scope: ApiScope, now: () => Date): onRequestHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    let principal: ApiPrincipal;
    try {
      principal = await authenticateApiToken(db, request.headers.authorization, now());
    } catch (e) {
      if (isQtError(e, 'QT_ERR_UNAUTHENTICATED')) {
        request.log.info({ reason: unauthenticatedReason(e) }, 'API token refused');
        void reply.header('www-authenticate', 'Bearer realm="qoltanba"');
      }
      throw e;
    }
    if (!principal.scopes.includes(scope)) {
      await withStore('auditing a refused request', () =>
        appendAudit(db, {
          actor: principal.actor,
          action: 'api.access-denied',
          target: `api-token:${principal.name}`,
          details: { tokenId: principal.tokenId, method: request.method, route: request.routeOptions.url ?? request.url, needed: scope, has: [...principal.scopes] },
        }),
      );
      throw new QtError('QT_ERR_FORBIDDEN', `This token's scopes (${principal.scopes.join(', ')}) do not include "${scope}"`, { needed: scope });
    }
    request.log.info({ token: principal.name }, 'API token accepted');
    principals.set(request, principal);
  };
}
