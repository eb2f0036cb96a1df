/**
 * What every server feature is given: configuration, the store (the only SQL), the signer provider (the only
 * way to a CA key), a logger that never sees secrets, and a clock (tests move time without faking it globally).
 */
import type { FastifyInstance } from 'fastify';
import type { Role, ServerConfig } from './config.ts';
import type { Store } from './store/index.ts';
import type { SignerProvider } from './signer/provider.ts';

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

export interface ServerContext {
  readonly config: ServerConfig;
  readonly store: Store;
  readonly signers: SignerProvider;
  readonly log: Logger;
  now(): Date;
}

/**
 * A piece of HTTP surface or background work, tied to the roles that run it (the list is features.ts).
 * `start` registers routes on the app and starts workers; it returns how to stop them. It lives here, below
 * every feature, so a feature names its own type without importing the list that imports it.
 */
export interface Feature {
  name: string;
  roles: readonly Role[];
  start(app: FastifyInstance, ctx: ServerContext): Promise<() => Promise<void>>;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
