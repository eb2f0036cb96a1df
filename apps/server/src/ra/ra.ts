/**
 * The registration authority's service core: plain functions over a ServerContext and the status hooks,
 * called by the CA API, the portal, remote issuance, the demo seed and the CLI (see README.md). `createRa`
 * gathers what they share.
 */
import type { ServerContext } from '../context.ts';
import { IssuingCas } from './authorities.ts';
import { noStatusHooks, type StatusHooks } from './hooks.ts';

export interface RaOptions {
  /** Told about every committed issuance and status change (default: nothing; the status service catches up). */
  hooks?: StatusHooks;
  /** Accept NCA's test IINs/BINs, which fail the check digit. Never in production. */
  testMode?: boolean;
  /** How long a replay with the same Idempotency-Key returns the first result (default 24 h). */
  idempotencyHours?: number;
  /**
   * Chooses serial numbers (hex) instead of the random default: tests use it to force a collision and
   * prove the retry. Returning undefined falls back to a random serial.
   */
  serialSource?: () => string | undefined;
}

export interface Ra {
  readonly ctx: ServerContext;
  readonly hooks: StatusHooks;
  readonly testMode: boolean;
  readonly idempotencyHours: number;
  readonly serialSource: (() => string | undefined) | undefined;
  readonly cas: IssuingCas;
}

export function createRa(ctx: ServerContext, options: RaOptions = {}): Ra {
  return {
    ctx,
    hooks: options.hooks ?? noStatusHooks,
    testMode: options.testMode ?? false,
    idempotencyHours: options.idempotencyHours ?? 24,
    serialSource: options.serialSource,
    cas: new IssuingCas(),
  };
}
