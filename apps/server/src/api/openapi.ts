/**
 * The OpenAPI 3.1 document of the server's JSON API (/api/v1: the CA API and the verifier), built from the
 * very route schemas Fastify validates and serialises with — so the document cannot drift from what the
 * server does. One document per server: each feature adds the routes of its own plugin scope, and the
 * first to ask serves /api/v1/openapi.json. (Written here rather than with @fastify/swagger: a page of
 * code, no new dependency, and it knows our scopes.)
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { errorSchema } from './schemas.ts';

export const OPENAPI_PATH = '/api/v1/openapi.json';

interface CollectedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  scope: string | undefined;
}

export interface OpenApiInfo {
  title: string;
  version: string;
  serverUrl: string;
}

interface SharedDocument {
  routes: CollectedRoute[];
  served: boolean;
  cached: object | undefined;
}

// Keyed by the HTTP server every plugin scope of one app shares.
const documents = new WeakMap<object, SharedDocument>();

function shared(app: FastifyInstance): SharedDocument {
  let doc = documents.get(app.server);
  if (!doc) documents.set(app.server, (doc = { routes: [], served: false, cached: undefined }));
  return doc;
}

/** Adds the routes registered after this call in this plugin's scope to the server's document. */
export function collectRoutes(app: FastifyInstance): void {
  const doc = shared(app);
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const scope = (route.config as { scope?: string } | undefined)?.scope;
    if (!route.schema || (route.schema as { hide?: boolean }).hide || !route.url.startsWith('/api/v1/')) return;
    for (const method of methods) {
      if (method === 'HEAD') continue;
      doc.routes.push({ method: method.toLowerCase(), url: route.url, schema: route.schema as Record<string, unknown>, scope });
      doc.cached = undefined;
    }
  });
}

/** Serves the document at OPENAPI_PATH, once per server whichever feature asks first. */
export function serveOpenApi(app: FastifyInstance, info: OpenApiInfo): void {
  const doc = shared(app);
  if (doc.served) return;
  doc.served = true;
  app.get(OPENAPI_PATH, { schema: { hide: true } as object }, async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return (doc.cached ??= build(doc.routes, info));
  });
}

function build(routes: CollectedRoute[], info: OpenApiInfo): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const s = r.schema;
    const parameters = [
      ...parametersOf(s.params, 'path'),
      ...parametersOf(s.querystring, 'query'),
      ...parametersOf(s.headers, 'header'),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries((s.response ?? {}) as Record<string, Record<string, unknown>>)) {
      const { description, ...body } = schema;
      responses[status] = { description: (description as string | undefined) ?? statusText(status), content: { 'application/json': { schema: body } } };
    }
    const operation: Record<string, unknown> = {
      operationId: s.operationId,
      summary: s.summary,
      description: [s.description, r.scope ? `Requires an API token with scope \`${r.scope}\`.` : undefined].filter(Boolean).join('\n\n') || undefined,
      tags: s.tags,
      parameters: parameters.length ? parameters : undefined,
      requestBody: s.body ? { required: true, content: { 'application/json': { schema: s.body } } } : undefined,
      responses,
      security: r.scope ? [{ apiToken: [] }] : [],
      'x-qoltanba-scope': r.scope,
    };
    (paths[path] ??= {})[r.method] = JSON.parse(JSON.stringify(operation));
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description:
        'Qoltanba API: the CA API (issuance, revocation and lookup of EDS certificates in the NCA RK profile; authenticate with ' +
        '`Authorization: Bearer qt_<id>_<secret>`, tokens have scopes issue, revoke, read) and the relying-party verifier ' +
        '(`/api/v1/verify`, no token; present when the process serves the verify role). Every error is `{ error: { code, message, details? } }` ' +
        'with a stable QT_ERR_… code.',
    },
    servers: [{ url: info.serverUrl }],
    components: {
      securitySchemes: { apiToken: { type: 'http', scheme: 'bearer', description: 'qt_<16 hex id>_<43 base64url secret>' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}

function parametersOf(schema: unknown, where: 'path' | 'query' | 'header'): object[] {
  const s = schema as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
  if (!s?.properties) return [];
  return Object.entries(s.properties).map(([name, p]) => {
    const { description, ...rest } = p;
    return { name, in: where, required: where === 'path' || (s.required ?? []).includes(name) || undefined, description, schema: rest };
  });
}

function statusText(status: string): string {
  const texts: Record<string, string> = {
    '200': 'OK', '201': 'Created', '400': 'The request is malformed', '401': 'No valid API token', '403': 'The token lacks the scope',
    '404': 'Not found', '409': 'Conflicts with the current state', '413': 'Too large', '415': 'Unsupported media type',
    '422': 'Refused by policy', '500': 'Internal error (nothing internal is revealed)', '503': 'A dependency (database, CA key) is unavailable; retry',
  };
  return texts[status] ?? 'Response';
}
