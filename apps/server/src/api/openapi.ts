/**
 * The OpenAPI 3.1 document of the CA API, built from the very route schemas Fastify validates and
 * serialises with — so the document cannot drift from what the server does. (Written here rather than
 * with @fastify/swagger: a page of code, no new dependency, and it knows our scopes.)
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { errorSchema } from './schemas.ts';

interface CollectedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  scope: string | undefined;
}

export interface OpenApiCollector {
  document(info: { title: string; version: string; serverUrl: string }): object;
}

/** Collects the routes registered after this call (in this plugin's scope) for the document. */
export function collectRoutes(app: FastifyInstance): OpenApiCollector {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const scope = (route.config as { scope?: string } | undefined)?.scope;
    if (!route.schema || (route.schema as { hide?: boolean }).hide) return;
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({ method: method.toLowerCase(), url: route.url, schema: route.schema as Record<string, unknown>, scope });
    }
  });
  let cached: object | undefined;
  return {
    document: (info) => (cached ??= build(routes, info)),
  };
}

function build(routes: CollectedRoute[], info: { title: string; version: string; serverUrl: string }): object {
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
        'Qoltanba CA API: issuance, revocation and lookup of EDS certificates in the NCA RK profile. Authenticate with ' +
        '`Authorization: Bearer qt_<id>_<secret>` (tokens have scopes issue, revoke, read). Every error is `{ error: { code, message, details? } }` ' +
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
