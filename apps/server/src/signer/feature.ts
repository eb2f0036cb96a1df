/**
 * The signer's internal API (routes.ts) as a server feature, role 'signer': only a process with that role
 * serves it, and it is the one that opens the CA keys in `keystore`.
 */
import type { KeyStoreConfig } from '@qoltanba/keystore';
import type { Feature } from '../context.ts';
import { signerRoutes } from './routes.ts';

export function signerFeature(keystore: KeyStoreConfig): Feature {
  return {
    name: 'signer',
    roles: ['signer'],
    async start(app, ctx) {
      await app.register(signerRoutes, { ctx, keystore });
      // Its key provider closes with the app (an onClose hook in routes.ts).
      return async () => undefined;
    },
  };
}
