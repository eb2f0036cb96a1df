/** `qoltanba agent` and its subcommands: install | uninstall | doctor | origins. */
import type { Command } from 'commander';
import type { ContextFactory } from '../../context.ts';
import { withExamples } from '../../help.ts';
import { configureAgentRun } from './run.ts';
import { registerAgentInstall } from './install.ts';
import { registerAgentDoctor } from './doctor.ts';
import { registerAgentOrigins } from './origins.ts';

export function registerAgent(program: Command, context: ContextFactory): void {
  const agent = program
    .command('agent')
    .description("the local signing agent (NCALayer's protocol on 127.0.0.1:13579): web pages ask, you confirm in the agent's own page");
  // Running the agent is the default subcommand: `qoltanba agent --port …` is `qoltanba agent run --port …`, and
  // `agent` itself has no options that could swallow a subcommand's (`agent doctor --port …`).
  configureAgentRun(agent.command('run', { isDefault: true }).description('run the agent (the default: `qoltanba agent` alone runs it)'), context);
  withExamples(agent, ['qoltanba agent', 'qoltanba agent install --ca https://ca.example.kz', 'qoltanba agent doctor']);
  registerAgentInstall(agent, context);
  registerAgentDoctor(agent, context);
  registerAgentOrigins(agent, context);
}
