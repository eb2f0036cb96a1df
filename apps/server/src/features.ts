/**
 * The HTTP features and background work a process can serve, each tied to the roles that run it.
 * `start` registers routes on the app and starts workers; it returns how to stop them.
 */
import type { FastifyInstance } from 'fastify';
import type { Role } from './config.ts';
import type { ServerContext } from './context.ts';
import { portalFeature } from './portal/feature.ts';
import { remoteIssuance } from './remote/feature.ts';
import { operatorConsole } from './operator/feature.ts';
import { cpsPage } from './cps/feature.ts';
import { demoPages } from './demo/feature.ts';
import { notifyFeature } from './notify/feature.ts';
import { statusFeature, sharedStatusService } from './status-feature.ts';
import { caApiFeature } from './api/feature.ts';
import { statusHooksFor } from './ra/index.ts';
import { verifyFeature } from './verify/feature.ts';
import { tsaFeature } from './tsa/feature.ts';
import { jobsFeature } from './jobs/feature.ts';
import { auditFeature } from './audit/feature.ts';

export interface Feature {
  name: string;
  roles: readonly Role[];
  start(app: FastifyInstance, ctx: ServerContext): Promise<() => Promise<void>>;
}

export const features: Feature[] = [
  // First: the others register their cluster jobs with it, and it stops last.
  jobsFeature,
  // Second: it stops after the rest, so its shutdown checkpoint covers their last audit entries.
  auditFeature,
  statusFeature,
  caApiFeature({ hooks: (ctx) => statusHooksFor(sharedStatusService(ctx)) }),
  notifyFeature,
  portalFeature({ status: sharedStatusService, extensions: [remoteIssuance(), operatorConsole(), cpsPage(), demoPages()] }),
  verifyFeature(),
  tsaFeature(),
];
