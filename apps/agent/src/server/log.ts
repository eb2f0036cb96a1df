/**
 * What the agent reports about itself. Events are typed so that only these fields can be logged: module and
 * method names, origins, outcomes and error codes — never arguments, documents, passwords, PINs or keys.
 */
export type AgentLogEvent =
  | { event: 'listening'; url: string; secure: boolean }
  | { event: 'connected' | 'disconnected'; origin: string }
  | { event: 'refused'; reason: 'host' | 'origin' | 'capacity'; origin?: string; host?: string }
  | { event: 'request'; origin: string; module: string; method: string; outcome: 'ok' | 'cancelled' | 'error'; code?: string; ms: number }
  | { event: 'stopped' };

export type AgentLogger = (entry: AgentLogEvent) => void;

/** One JSON line per event on stderr, stamped with the time. */
export const stderrLogger: AgentLogger = (entry) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
};
