/**
 * Operator commands on certificates: `issue` (from a PKCS#10 CSR, prints the certificate PEM), `revoke`,
 * `hold`, `release` and `status`. They call the same RA service as the API and the portal, so every change
 * is one audited transaction and shows in OCSP at once.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { getProfile, QtError, profileNames } from '@qoltanba/pki';
import { certificateStatus, hold, issue, normalizeSerial, releaseHold, revoke, revocationReasons, type CertificateRecord, type LocalAdminContext, type RevocationReason } from '@qoltanba/server';
import type { ContextFactory } from '../context.ts';
import { printResult, type Row } from '../output.ts';
import { withLocalAdmin } from '../home-store.ts';
import { withExamples } from '../help.ts';
import { dateArgument, serialArgument } from '../arguments.ts';

const OPERATOR = 'operator:cli';

interface IssueFlags {
  csr: string;
  profile: string;
  iin: string;
  name: string;
  organization?: string;
  bin?: string;
  email?: string;
  storage: 'file' | 'token';
  ca?: string;
  identification: 'in-person' | 'remote';
  idempotencyKey?: string;
  testNumbers?: boolean;
}

/** "SURNAME NAME [PATRONYMIC]" as NCA writes CN plus G. */
export function splitName(full: string): { surname: string; name: string; patronymic?: string } {
  const parts = full.trim().split(/\s+/);
  if (parts.length < 2) throw new QtError('QT_ERR_SUBJECT_INVALID', '--name needs at least a surname and a first name, e.g. "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"');
  const [surname, name, ...rest] = parts as [string, string, ...string[]];
  return rest.length ? { surname, name, patronymic: rest.join(' ') } : { surname, name };
}

function recordRows(r: CertificateRecord): Row[] {
  return [
    ['Serial', r.serial],
    ['CA', r.ca],
    ['Kind', `${r.kind} (${r.profile})`],
    ['Subject', r.subject],
    ['IIN', r.iin],
    ['BIN', r.bin],
    ['Status', r.status + (r.revocationReason ? ` (${r.revocationReason}${r.revokedAt ? ` since ${r.revokedAt.toISOString()}` : ''})` : '')],
    ['Valid', `${r.notBefore.toISOString()} … ${r.notAfter.toISOString()}`],
    ['Storage', r.storage],
  ];
}

export function registerCertificates(program: Command, context: ContextFactory): void {
  const issueCommand = program
    .command('issue')
    .description('issue a certificate from a PKCS#10 request; the subject comes from these options, never from the CSR; prints the PEM')
    .requiredOption('--csr <file>', 'the PKCS#10 request (PEM or DER)')
    .addOption(new Option('--profile <profile>', "certificate profile (an RA operator's: qoltanba operator issue)").choices(profileNames.filter((p) => ['AUTH', 'SIGN'].includes(getProfile(p).kind) && !getProfile(p).restricted)).makeOptionMandatory())
    .requiredOption('--iin <iin>', "the holder's IIN (12 digits)")
    .requiredOption('--name <name>', 'SURNAME NAME [PATRONYMIC], as in the identity document')
    .option('--organization <name>', 'organisation (legal-entity profiles)')
    .option('--bin <bin>', "the organisation's BIN (legal-entity profiles)")
    .option('--email <address>', 'e-mail for subjectAltName')
    .addOption(new Option('--storage <where>', 'where the key lives: file (1 year) or token (3 years)').choices(['file', 'token']).default('file'))
    .addOption(new Option('--identification <how>', 'how the holder was identified').choices(['in-person', 'remote']).default('in-person'))
    .option('--ca <name>', 'issuing CA (default: the active one)')
    .option('--idempotency-key <key>', 'repeat a request safely: the same key returns the same certificate')
    .option('--test-numbers', "accept NCA's test IINs/BINs that fail the check digit (never in production)")
    .action(async (flags: IssueFlags) => {
      const ctx = context();
      const result = await withLocalAdmin(
        ctx,
        (admin) =>
          issue(admin.ra, {
            ca: flags.ca,
            csr: readCsr(ctx.path(flags.csr)),
            profile: flags.profile,
            subject: { ...splitName(flags.name), iin: flags.iin, organization: flags.organization, bin: flags.bin },
            email: flags.email,
            storage: flags.storage,
            identification: flags.identification,
            idempotencyKey: flags.idempotencyKey ?? randomUUID(),
            actor: OPERATOR,
          }),
        { testMode: flags.testNumbers },
      );
      const c = result.certificate;
      if (ctx.json) printResult(ctx, { ...c, replayed: result.replayed }, []);
      else ctx.out.write(c.pem);
    });
  withExamples(issueCommand, [
    ['a SIGN certificate for a key in a file (1 year), printed as PEM', 'qoltanba issue --csr sign.csr --profile individual-sign --iin 880314440014 --name "АХМЕТОВА АЙГЕРІМ МАРАТҚЫЗЫ" > sign.crt'],
    ['an AUTH certificate for a key on a token (3 years), with an e-mail', 'qoltanba issue --csr auth.csr --profile individual-auth --storage token --iin 880314440014 --name "АХМЕТОВА АЙГЕРІМ" --email aigerim@example.kz'],
    ['an employee of an organisation; repeating the same --idempotency-key returns the same certificate', 'qoltanba --json issue --csr e.csr --profile legal-employee-sign --iin 880314440014 --name "АХМЕТОВА АЙГЕРІМ" --organization "ТОО Қолтаңба" --bin 180340021236 --idempotency-key order-42'],
  ]);

  const change = (name: 'revoke' | 'hold' | 'release', description: string, examples: Parameters<typeof withExamples>[1]) => {
    const cmd = program.command(name).description(description).argument('<serial>', SERIAL_HELP, serialArgument).option('--ca <name>', 'issuing CA (default: the one that issued this serial)');
    if (name === 'revoke') cmd.addOption(new Option('--reason <reason>', 'RFC 5280 reason').choices([...revocationReasons]).default('unspecified'));
    if (name !== 'release') cmd.option('--invalidity-date <time>', 'when the key is known or suspected to have been compromised (ISO date)', dateArgument);
    withExamples(cmd, examples);
    cmd.action(async (serial: string, flags: { ca?: string; reason?: RevocationReason; invalidityDate?: Date }) => {
      const ctx = context();
      const invalidityDate = flags.invalidityDate;
      const result = await withLocalAdmin(ctx, async (admin) => {
        const ca = flags.ca ?? (await caOfSerial(admin, serial));
        const request = { ca, serial, actor: OPERATOR, invalidityDate };
        return name === 'revoke' ? revoke(admin.ra, { ...request, reason: flags.reason! }) : name === 'hold' ? hold(admin.ra, request) : releaseHold(admin.ra, request);
      });
      printResult(ctx, result, [['Changed', result.changed ? 'yes' : 'no (already so)'], ...recordRows(result.certificate), ['Also revoked', result.alsoRevoked?.length ? result.alsoRevoked.join(', ') : undefined]]);
    });
  };
  change('revoke', 'revoke a certificate (final); shows in OCSP at once and in the next CRL', [
    'qoltanba revoke 0CF283BC6A1D44E2A9F0 --reason keyCompromise --invalidity-date 2025-03-01',
    ['serials are read in any case, with colons or without leading zeros', 'qoltanba revoke 0c:f2:83:bc:6a:1d:44:e2:a9:f0 --reason superseded'],
  ]);
  change('hold', 'suspend a certificate (certificateHold) until released', ['qoltanba hold 0CF283BC6A1D44E2A9F0', 'qoltanba --json hold 0CF283BC6A1D44E2A9F0 --ca rsa']);
  change('release', 'lift a hold: the certificate is good again', ['qoltanba release 0CF283BC6A1D44E2A9F0']);

  const statusCommand = program
    .command('status')
    .description('the registry status of a certificate: good, on hold or revoked (with reason and time)')
    .argument('<serial>', SERIAL_HELP, serialArgument)
    .option('--ca <name>', 'issuing CA (default: the one that issued this serial)')
    .action(async (serial: string, flags: { ca?: string }) => {
      const ctx = context();
      const record = await withLocalAdmin(ctx, async (admin) => certificateStatus(admin.ra, flags.ca ?? (await caOfSerial(admin, serial)), serial));
      printResult(ctx, record, recordRows(record));
    });
  withExamples(statusCommand, [
    'qoltanba status 0CF283BC6A1D44E2A9F0',
    ['the whole record (the certificate as PEM, its DER as base64) for a script', 'qoltanba --json status 0CF283BC6A1D44E2A9F0'],
  ]);
}

const SERIAL_HELP = "certificate serial in hex, as openssl prints it (case, colons and leading zeros don't matter)";

function readCsr(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch {
    throw new QtError('QT_ERR_INPUT_INVALID', `No such file: ${path}`);
  }
}

/** The CA that issued this serial (serials are random, so one match is expected; several need --ca). */
async function caOfSerial(admin: LocalAdminContext, serial: string): Promise<string> {
  const normalized = normalizeSerial(serial);
  const rows = await admin.ctx.store.db
    .selectFrom('certificates')
    .innerJoin('cas', 'cas.id', 'certificates.ca_id')
    .select('cas.name')
    .where('certificates.serial', '=', normalized)
    .execute();
  if (rows.length === 0) throw new QtError('QT_ERR_CERT_NOT_FOUND', `No certificate with serial ${serial}`);
  if (rows.length > 1) throw new QtError('QT_ERR_INPUT_INVALID', `Serial ${serial} exists at several CAs (${rows.map((r) => r.name).join(', ')}); pass --ca`);
  return rows[0]!.name;
}
