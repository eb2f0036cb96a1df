/** `qoltanba agent doctor`: is everything a site needs in place? Each problem with its fix, kk/ru/en, or --json. */
import { Command, Option } from 'commander';
import { defaultAgentDataDir, formatDoctorReport, runDoctor, DEFAULT_AGENT_PORT } from '@qoltanba/agent';
import type { ContextFactory } from '../../context.ts';
import { printResult } from '../../output.ts';
import { withExamples } from '../../help.ts';
import { cliLocale } from './locale.ts';

export function registerAgentDoctor(agent: Command, context: ContextFactory): void {
  const doctor = agent
    .command('doctor')
    .description('check that the agent runs, is trusted by the browsers, starts with the session, finds your keys and its time-stamping authority')
    .option('--data-dir <dir>', "the agent's own folder (default: $QOLTANBA_AGENT_HOME or ~/.qoltanba-agent)")
    .option('--port <port>', 'the port the agent should answer on', String(DEFAULT_AGENT_PORT))
    .addOption(new Option('--locale <locale>', 'language of the report').choices(['kk', 'ru', 'en', 'kz']))
    .action(async (flags: { dataDir?: string; port: string; locale?: string }) => {
      const ctx = context();
      const dataDir = flags.dataDir ? ctx.path(flags.dataDir) : defaultAgentDataDir(ctx.env);
      const report = await runDoctor({ dataDir, port: Number(flags.port), locale: cliLocale(flags.locale, ctx.env), env: ctx.env });
      printResult(ctx, report, formatDoctorReport(report));
      if (!report.ok) ctx.exitCode = 1;
    });
  withExamples(doctor, ['qoltanba agent doctor', ['in Kazakh', 'qoltanba agent doctor --locale kk'], ['for a script (exit code 1 when something is wrong)', 'qoltanba --json agent doctor']]);
}
