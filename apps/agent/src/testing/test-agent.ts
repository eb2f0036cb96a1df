/** Starts an agent on a free port with a throwaway data folder, for tests and the benchmark. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type AgentOptions, type RunningAgent } from '../agent.ts';
import type { AgentLogEvent } from '../server/log.ts';

export interface TestAgent extends RunningAgent {
  readonly dataDir: string;
  /** Everything the agent logged, to check that no secret ever appears there. */
  readonly logs: AgentLogEvent[];
  /** Stops the agent and deletes its data folder. */
  dispose(): Promise<void>;
}

export async function startTestAgent(options: Partial<AgentOptions> & Pick<AgentOptions, 'allowedOrigins'>): Promise<TestAgent> {
  const dataDir = await mkdtemp(join(tmpdir(), 'qoltanba-agent-'));
  const logs: AgentLogEvent[] = [];
  const agent = await startAgent({
    port: 0,
    dataDir,
    openConsent: () => {
      throw new Error('this test opens no consent page');
    },
    log: (e) => logs.push(e),
    ...options,
  });
  return {
    ...agent,
    dataDir,
    logs,
    async dispose() {
      await agent.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
