import type { Command } from 'commander';
import type { ContextFactory, RunCli } from '../context.ts';
import { registerVerify } from './verify/index.ts';
import { registerCms } from './cms/index.ts';
import { registerUp } from './up.ts';
import { registerCa } from './ca.ts';
import { registerAudit } from './audit.ts';
import { registerAgent } from './agent/index.ts';
import { registerRegistry } from './registry.ts';
import { registerPopulation } from './population.ts';
import { registerNotify } from './notify.ts';
import { registerCertificates } from './certificates.ts';
import { registerCrl } from './crl.ts';
import { registerToken } from './token.ts';
import { registerRaOperators } from './ra-operators.ts';

/** `run` is program.ts's runCli, passed down so `up` (which runs commands inside the server) need not import it. */
export function registerCommands(program: Command, context: ContextFactory, run: RunCli): void {
  registerUp(program, context, run);
  registerCa(program, context);
  registerVerify(program, context);
  registerCms(program, context);
  registerAudit(program, context);
  registerAgent(program, context);
  registerRegistry(program, context);
  registerPopulation(program, context);
  registerNotify(program, context);
  registerCertificates(program, context);
  registerCrl(program, context);
  registerToken(program, context);
  registerRaOperators(program, context);
}
