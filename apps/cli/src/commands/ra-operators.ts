/**
 * `qoltanba operator issue|list|revoke`: the RA operators who sign in to the operators' console
 * (/operator) and decide face checks. An operator is an AUTH certificate of the restricted profile
 * ra-operator-auth (role 1.2.398.3.3.4.2.3), issued only here, by the CA's administrators, from the
 * operator's own PKCS#10 — the RA's one issuance path (lint before sign, audited, OCSP at once).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { inspectCertificate, keyFileName, QtError } from '@qoltanba/pki';
import { issueRaOperator, listRaOperators, revokeRaOperator, revocationReasons, type CertificateRecord, type RevocationReason } from '@qoltanba/server';
import type { ContextFactory } from '../context.ts';
import { printResult, type Row } from '../output.ts';
import { withLocalAdmin } from '../home-store.ts';
import { withExamples } from '../help.ts';
import { serialArgument } from '../arguments.ts';
import { splitName } from './certificates.ts';

const ADMINISTRATOR = 'operator:cli';

interface IssueFlags {
  csr: string;
  iin: string;
  name: string;
  email?: string;
  storage: 'file' | 'token';
  ca?: string;
  idempotencyKey?: string;
  testNumbers?: boolean;
}

/** The agent offers key files under NCA's names: an AUTH file named by its SKI (none for key types NCA never names). */
function agentFileName(c: CertificateRecord): string | undefined {
  const info = inspectCertificate(c.der);
  try {
    return keyFileName('AUTH', info.publicKey.algorithmOid, info.subjectKeyId ?? c.serial);
  } catch {
    return undefined;
  }
}

function operatorRow(r: CertificateRecord): Row {
  const state = r.status === 'good' ? (r.notAfter <= new Date() ? 'expired' : 'active') : `${r.status}${r.revocationReason ? ` (${r.revocationReason})` : ''}`;
  return [r.serial, `${r.subject} — IIN ${r.iin}, ${state}, until ${r.notAfter.toISOString().slice(0, 10)}, CA ${r.ca}`];
}

export function registerRaOperators(program: Command, context: ContextFactory): void {
  const operator = program
    .command('operator')
    .description("RA operators of the operators' console (/operator): issue their AUTH certificate with the RA-operator role, list, revoke");

  withExamples(operator, ['qoltanba operator list', 'qoltanba operator issue --csr operator.csr --iin 880101300123 --name "ОПЕРАТОРОВ САМАТ"']);

  const issueCmd = operator
    .command('issue')
    .description("issue an RA operator's AUTH certificate (role 1.2.398.3.3.4.2.3) from the operator's PKCS#10; the subject comes from these options, never the CSR; prints the PEM")
    .requiredOption('--csr <file>', "the operator's PKCS#10 request (PEM or DER), made where their key lives")
    .requiredOption('--iin <iin>', "the operator's IIN (12 digits)")
    .requiredOption('--name <name>', 'SURNAME NAME [PATRONYMIC], as in the identity document')
    .option('--email <address>', 'e-mail for subjectAltName')
    .addOption(new Option('--storage <where>', 'where the key lives: file (1 year) or token (3 years)').choices(['file', 'token']).default('file'))
    .option('--ca <name>', 'issuing CA (default: the active one for the key)')
    .option('--idempotency-key <key>', 'repeat a request safely: the same key returns the same certificate')
    .option('--test-numbers', "accept NCA's test IINs that fail the check digit (never in production)")
    .action(async (flags: IssueFlags) => {
      const ctx = context();
      let csr: Uint8Array;
      try {
        csr = new Uint8Array(readFileSync(flags.csr));
      } catch {
        throw new QtError('QT_ERR_INPUT_INVALID', `No such file: ${flags.csr}`);
      }
      const result = await withLocalAdmin(
        ctx,
        (admin) =>
          issueRaOperator(admin.ra, {
            csr,
            subject: { ...splitName(flags.name), iin: flags.iin },
            email: flags.email,
            storage: flags.storage,
            ca: flags.ca,
            idempotencyKey: flags.idempotencyKey ?? randomUUID(),
            actor: ADMINISTRATOR,
          }),
        { testMode: flags.testNumbers },
      );
      const c = result.certificate;
      const file = agentFileName(c);
      if (ctx.json) {
        printResult(ctx, { ...c, keyFileName: file ?? null, replayed: result.replayed }, []);
        return;
      }
      ctx.out.write(c.pem);
      ctx.err.write(`RA operator certificate ${c.serial} for ${c.subject}.${file ? ` The agent expects it with the operator's key in ${file}` : ''} (apps/server/src/operator/README.md).\n`);
    });

  withExamples(issueCmd, [
    ['the operator makes a key and a request where the key will live', 'openssl req -new -newkey rsa:2048 -nodes -keyout operator.key -subj "/CN=operator" -out operator.csr'],
    ['the CA administrator issues the certificate (the subject comes from these options)', 'qoltanba operator issue --csr operator.csr --iin 880101300123 --name "ОПЕРАТОРОВ САМАТ БЕРИКОВИЧ" > operator.pem'],
  ]);

  const listCmd = operator
    .command('list')
    .description('the RA operators who can sign in to the console now (--all: also revoked and expired ones)')
    .option('--all', 'also revoked, held and expired operator certificates')
    .action(async (flags: { all?: boolean }) => {
      const ctx = context();
      const list = await withLocalAdmin(ctx, (admin) => listRaOperators(admin.ra, { all: flags.all }));
      printResult(ctx, list, list.length ? list.map(operatorRow) : flags.all ? 'No RA operators yet: qoltanba operator issue.' : 'No active RA operators (--all shows revoked and expired ones).');
    });

  withExamples(listCmd, ['qoltanba operator list', ['also revoked and expired operators, for a script', 'qoltanba --json operator list --all']]);

  const revokeCmd = operator
    .command('revoke')
    .description("revoke an RA operator's certificate: their console session ends at their next request")
    .argument('<serial>', "the operator certificate's serial (hex, as openssl prints it; colons and leading zeros optional)", serialArgument)
    .addOption(new Option('--reason <reason>', 'RFC 5280 reason').choices([...revocationReasons]).default('privilegeWithdrawn'))
    .option('--ca <name>', 'issuing CA (default: the one that issued this serial)')
    .action(async (serial: string, flags: { reason: RevocationReason; ca?: string }) => {
      const ctx = context();
      const result = await withLocalAdmin(ctx, (admin) => revokeRaOperator(admin.ra, { serial, ca: flags.ca, reason: flags.reason, actor: ADMINISTRATOR }));
      printResult(ctx, result, [['Changed', result.changed ? 'yes' : 'no (already so)'], operatorRow(result.certificate)]);
    });
  withExamples(revokeCmd, ['qoltanba operator revoke 0CF283BC5A1B2C3D4E5F', ['another reason than privilegeWithdrawn', 'qoltanba operator revoke 0CF283BC5A1B2C3D4E5F --reason keyCompromise']]);
}
