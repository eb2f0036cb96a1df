/**
 * The HTTP features and background work a process can serve, each tied to the roles that run it.
 * `start` registers routes on the app and starts workers; it returns how to stop them.
 */
import type { FastifyInstance } from 'fastify';
import type { Role } from './config.ts';
import type { ServerContext } from './context.ts';

export interface Feature {
  name: string;
  roles: readonly Role[];
  start(app: FastifyInstance, ctx: ServerContext): Promise<() => Promise<void>>;
}

export const features: Feature[] = [];
