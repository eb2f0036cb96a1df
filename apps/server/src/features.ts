/**
 * The HTTP features and background work a process can serve, each tied to the roles that run it (the
 * `Feature` type is in context.ts, so a feature never imports this list). start.ts builds the services the
 * features share — the one StatusService, the keystore — and passes them here; a feature takes what it
 * needs as an argument instead of reaching into another feature for it.
 */
import type { KeyStoreConfig } from '@qoltanba/keystore';
import type { Feature } from './context.ts';
import type { StatusService } from './status/service.ts';
import { healthFeature } from './system/feature.ts';
import { signerFeature } from './signer/feature.ts';
import { portalFeature } from './portal/feature.ts';
import { remoteIssuance } from './remote/feature.ts';
import { operatorConsole } from './operator/feature.ts';
import { cpsPage } from './cps/feature.ts';
import { demoPages } from './demo/feature.ts';
import { notifyFeature } from './notify/feature.ts';
import { statusFeature } from './status/feature.ts';
import { caApiFeature } from './api/feature.ts';
import { verifyFeature } from './verify/feature.ts';
import { tsaFeature } from './tsa/feature.ts';
import { jobsFeature } from './jobs/feature.ts';
import { auditFeature } from './audit/feature.ts';

/** What start.ts makes once per process and the features share. */
export interface SharedServices {
  /** The process's one status service: OCSP/CRL routes, the schedule, and the RA's hooks in API and portal. */
  status: StatusService;
  /** Where the CA keys are (the signer role opens them). */
  keystore: KeyStoreConfig;
  version: string;
}

export function serverFeatures(shared: SharedServices): Feature[] {
  return [
    // Routes only, nothing to stop: registered first, as before any feature.
    healthFeature(shared.version),
    signerFeature(shared.keystore),
    // First with work to stop: the others register their cluster jobs with it, and it stops last.
    jobsFeature,
    // Next: it stops after the rest, so its shutdown checkpoint covers their last audit entries.
    auditFeature,
    statusFeature(shared.status),
    caApiFeature({ status: shared.status }),
    notifyFeature,
    portalFeature({ status: shared.status, extensions: [remoteIssuance(), operatorConsole(), cpsPage(), demoPages()] }),
    verifyFeature(),
    tsaFeature(),
  ];
}
