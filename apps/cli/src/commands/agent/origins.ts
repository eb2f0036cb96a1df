/**
 * `qoltanba agent origins list|revoke`: the sites the person allowed always or refused in the agent's page.
 * Revoking forgets the answer: the site is asked about again at its next request (the running agent reads the
 * same file).
 */
import type { Command } from 'commander';
import { defaultAgentDataDir, normalizeOrigin, SiteDecisionStore } from '@qoltanba/agent';
import { QtError } from '@qoltanba/pki';
import type { ContextFactory } from '../../context.ts';
import { printResult, type Row } from '../../output.ts';
import { withExamples } from '../../help.ts';

const dataDirOption = ['--data-dir <dir>', "the agent's own folder (default: $QOLTANBA_AGENT_HOME or ~/.qoltanba-agent)"] as const;

export function registerAgentOrigins(agent: Command, context: ContextFactory): void {
  const origins = agent.command('origins').description('the sites you allowed always or refused in the agent page');
  withExamples(origins, ['qoltanba agent origins list', 'qoltanba agent origins revoke https://egov.example.kz']);
  const storeFor = (dir: string | undefined) => {
    const ctx = context();
    return { ctx, store: SiteDecisionStore.inDataDir(dir ? ctx.path(dir) : defaultAgentDataDir(ctx.env)) };
  };

  const list = origins
    .command('list')
    .description('list the remembered answers')
    .option(...dataDirOption)
    .action((flags: { dataDir?: string }) => {
      const { ctx, store } = storeFor(flags.dataDir);
      const sites = store.list();
      printResult(ctx, sites, sites.length ? sites.map((s): Row => [s.origin, `${s.decision === 'always' ? 'allowed always' : 'refused'} since ${s.decidedAt}`]) : 'No remembered sites: each new site is asked about.');
    });
  withExamples(list, ['qoltanba agent origins list', 'qoltanba --json agent origins list']);

  const revoke = origins
    .command('revoke')
    .description('forget the answer about a site: it is asked about again at its next request')
    .argument('<origin>', 'the site, as shown in the list (https://host[:port])')
    .option(...dataDirOption)
    .action((origin: string, flags: { dataDir?: string }) => {
      const { ctx, store } = storeFor(flags.dataDir);
      const normalized = normalizeOrigin(origin);
      if (!normalized) throw new QtError('QT_ERR_INPUT_INVALID', `Not a web origin (https://host[:port]): ${origin}`);
      if (!store.forget(normalized)) throw new QtError('QT_ERR_NOT_FOUND', `No answer is remembered for ${normalized}`);
      printResult(ctx, { revoked: normalized }, [['Forgotten', `${normalized} (it will be asked about again)`]]);
    });
  withExamples(revoke, ['qoltanba agent origins revoke https://egov.example.kz']);
}
