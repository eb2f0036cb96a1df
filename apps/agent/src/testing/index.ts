/**
 * TEST SUPPORT ONLY (`@qoltanba/agent/testing`): what other workspaces' tests (the CLI's `agent` commands) need
 * from the agent's test helpers, so they import the package instead of reaching into its folders.
 */
export { startTestTsa, type TestTsa } from './tsa.ts';
