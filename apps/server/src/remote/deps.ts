/** What remote issuance's routes are built from: the portal's pieces plus the registry and the face verifier. */
import type { PortalDeps } from '../portal/deps.ts';
import type { PopulationRegistry } from '../population/index.ts';
import type { FaceVerifier } from './face/verifier.ts';
import type { ResolvedRemoteOptions } from './options.ts';

export interface RemoteDeps {
  /** Sessions, SMS codes, the RA and the status service are the portal's (one of each per process). */
  readonly portal: PortalDeps;
  readonly population: PopulationRegistry;
  readonly faces: FaceVerifier;
  readonly options: ResolvedRemoteOptions;
}

/** Who the browser is, as far as remote issuance cares: its session and address. */
export interface Visitor {
  readonly sessionSha256: Buffer;
  readonly ip: string;
}
