/**
 * The agent's settings kept in its data folder (`<dataDir>/config.json`), written by `qoltanba agent install`
 * and read by `qoltanba agent` (its flags win), so the autostarted agent needs no flags but the folder.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { QtError } from '@qoltanba/pki';

export interface AgentConfig {
  /** Sites allowed without asking (others are asked about in the agent's page). */
  allowedOrigins?: string[];
  /** Folders whose key files are offered. */
  keyDirs?: string[];
  /** Where new key files are written. */
  newKeysDir?: string;
  /** RFC 3161 time-stamping authority for CAdES-T (createCMSSignatureFromBase64, basics tsaProfile, applyCAdEST). */
  tsaUrl?: string;
  /** The Qoltanba CA the agent was installed for (its public address); the TSA is discovered from it. */
  caUrl?: string;
  /** Consent page language until a site asks for another. */
  locale?: string;
  /** PKCS#11 libraries of tokens, with the NCALayer storage name they appear under. */
  tokens?: { library: string; storage: string }[];
}

/** $QOLTANBA_AGENT_HOME, else ~/.qoltanba-agent. */
export function defaultAgentDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.QOLTANBA_AGENT_HOME || join(env.HOME || homedir(), '.qoltanba-agent');
}

const configPath = (dataDir: string) => join(dataDir, 'config.json');

export async function readAgentConfig(dataDir: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(configPath(dataDir), 'utf8');
  } catch {
    return {};
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as AgentConfig;
  } catch (e) {
    throw new QtError('QT_ERR_INPUT_INVALID', `${configPath(dataDir)} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Merges `changes` into the saved settings (undefined leaves a setting as it is). */
export async function updateAgentConfig(dataDir: string, changes: AgentConfig): Promise<AgentConfig> {
  const current = await readAgentConfig(dataDir);
  const next: AgentConfig = { ...current };
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) (next as Record<string, unknown>)[k] = v;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${configPath(dataDir)}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, configPath(dataDir));
  return next;
}
