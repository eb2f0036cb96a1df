/**
 * The CA API (/api/v1): issuance, revocation, hold/release and lookups over HTTP for RA systems and
 * operators, authenticated by scoped API tokens, described by /api/v1/openapi.json.
 */
export { caApi, OPENAPI_PATH, type CaApiOptions } from './plugin.ts';
export { caApiFeature, type CaApiFeatureOptions } from './feature.ts';
export { createApiToken, revokeApiToken, listApiTokens, authenticateApiToken, apiScopes, type ApiScope, type ApiPrincipal, type ApiTokenInfo, type CreatedApiToken } from './tokens.ts';
