/** `qoltanba token create|list|revoke`: scoped API tokens for RA systems and operators (shown once, stored hashed). */
import { Command, Option } from 'commander';
import { apiScopes, createApiToken, listApiTokens, revokeApiToken, type ApiScope } from '@qoltanba/server';
import type { ContextFactory } from '../context.ts';
import { printResult, type Row } from '../output.ts';
import { withHomeStore } from '../home-store.ts';
import { withExamples } from '../help.ts';
import { dateArgument } from '../arguments.ts';

export function registerToken(program: Command, context: ContextFactory): void {
  const token = program.command('token').description('API tokens for the CA API (/api/v1)');
  withExamples(token, ['qoltanba token create ra-almaty --scope issue read', 'qoltanba token list']);
  const create = token
    .command('create')
    .description('create a token; it is printed once and only its hash is kept')
    .argument('<name>', 'who or what uses it, e.g. ra-almaty')
    .addOption(new Option('--scope <scope...>', 'what it may do').choices([...apiScopes]).default(['read']))
    .option('--expires <time>', 'when it stops working, an ISO date (default: never)', dateArgument)
    .action(async (name: string, flags: { scope: ApiScope[]; expires?: Date }) => {
      const ctx = context();
      const created = await withHomeStore(ctx, (store) => createApiToken(store.db, { name, scopes: flags.scope, expiresAt: flags.expires, actor: 'operator:cli' }));
      printResult(ctx, created, [
        ['Token', created.token],
        ['Name', name],
        ['Scopes', flags.scope.join(', ')],
        ['Note', 'shown only now: store it where the client reads it (Authorization: Bearer …)'],
      ]);
    });
  withExamples(create, [
    ['an RA system that issues and reads', 'qoltanba token create ra-almaty --scope issue read'],
    ['a script that only revokes, until the end of the year; the token is the "token" field', 'qoltanba --json token create revoker --scope revoke --expires 2025-12-31'],
  ]);
  const list = token
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async () => {
      const ctx = context();
      const tokens = await withHomeStore(ctx, (store) => listApiTokens(store.db));
      printResult(ctx, tokens, tokens.length ? tokens.map((t): Row => [t.name, `${t.scopes.join(', ')}${t.revokedAt ? ' — revoked' : ''}${t.expiresAt ? ` — expires ${new Date(t.expiresAt).toISOString()}` : ''}`]) : 'No tokens.');
    });
  withExamples(list, ['qoltanba token list', 'qoltanba --json token list']);
  const revoke = token
    .command('revoke')
    .description('stop a token from working')
    .argument('<name>')
    .action(async (name: string) => {
      const ctx = context();
      await withHomeStore(ctx, (store) => revokeApiToken(store.db, { name, actor: 'operator:cli' }));
      printResult(ctx, { revoked: name }, [['Revoked', name]]);
    });
  withExamples(revoke, ['qoltanba token revoke ra-almaty']);
}
