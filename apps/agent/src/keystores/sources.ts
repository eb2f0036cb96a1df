/** All key sources of the agent behind one KeySources: key files first, then tokens. */
import { QtError } from '@qoltanba/pki';
import { Pkcs12Files } from './pkcs12-source.ts';
import { Pkcs11Tokens, type TokenModuleConfig } from './pkcs11-source.ts';
import type { KeySource, KeySources, UnlockedSource } from './types.ts';

/** The key sources plus direct access to tokens, which key generation and installation need. */
export interface AgentKeySources extends KeySources {
  readonly tokens: Pkcs11Tokens;
}

export function agentKeySources(keyDirs: readonly string[], tokenModules: readonly TokenModuleConfig[]): AgentKeySources {
  const files = new Pkcs12Files(keyDirs);
  const tokens = new Pkcs11Tokens(tokenModules);
  return {
    tokens,
    async list() {
      return [...(await files.list()), ...(await tokens.list())];
    },
    unlock(source: KeySource, secret: string, upload?: Uint8Array): Promise<UnlockedSource> {
      if (source.kind === 'token') return tokens.unlock(source, secret);
      if (source.kind === 'file' || source.kind === 'upload') return files.unlock(source, secret, upload);
      throw new QtError('QT_ERR_AGENT_STORAGE_UNAVAILABLE');
    },
    activeTokenStorages: () => tokens.activeStorages(),
  };
}
