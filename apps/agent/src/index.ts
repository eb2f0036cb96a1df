/**
 * @qoltanba/agent — the local signing agent that speaks NCALayer's WebSocket protocol on 127.0.0.1:13579,
 * asks the user in its own consent page before any key is used, and creates/installs keys for (re)issuance.
 */
export { startAgent, DEFAULT_AGENT_PORT, DEFAULT_MAX_MESSAGE_BYTES, type AgentOptions, type RunningAgent } from './agent.ts';
export { systemBrowserOpener, commandOpener, type ConsentOpener } from './consent/opener.ts';
export { DEFAULT_TOKEN_STORAGE, type TokenModuleConfig } from './keystores/pkcs11-source.ts';
export type { AgentLogEvent, AgentLogger } from './server/log.ts';
export { loadOrCreateLocalTls, rotateLocalCa, readLocalCaCertificate, fingerprintOf, type TlsIdentity, type LocalTls } from './tls/local-ca.ts';
export * from './install/index.ts';
export { discoverTsaUrl } from './tsa/discover.ts';
export { readAgentConfig, updateAgentConfig, defaultAgentDataDir, type AgentConfig } from './config.ts';
export { SiteDecisionStore, type RememberedSite, type SiteDecision } from './origins/store.ts';
export { normalizeOrigin } from './server/security.ts';
