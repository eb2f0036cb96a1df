/**
 * `qoltanba verify <file>`: what a relying party (a bank, a court) needs to check a Kazakh signature or
 * certificate: the verdict, who signed, what kind of key, the chain and the revocation status. Certificates,
 * CMS and XML are judged by the same core as the server's /api/v1/verify and NCANode routes, with the same
 * defaults: revocation required (fail-closed), fetched from the certificates' own OCSP and CRL addresses.
 * Exit 0 when valid, 1 when not.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { QtError, detectKind } from '@qoltanba/pki';
import type { ContextFactory } from '../../context.ts';
import { printResult } from '../../output.ts';
import { withExamples } from '../../help.ts';
import { parseInstant, readInput } from './inputs.ts';
import { addTrustOptions, trustOptionsFrom, type TrustFlags } from './trust-flags.ts';
import { verifyCrlKind, verifyDocumentKind, verifyOcspKind } from './kinds.ts';
import type { VerifyReport } from './report.ts';

interface VerifyFlags extends TrustFlags {
  at?: Date;
  content?: string;
  purpose: 'any' | 'clientAuth' | 'emailProtection';
}

function instantArgument(text: string): Date {
  try {
    return parseInstant(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function registerVerify(program: Command, context: ContextFactory): void {
  const base = program
    .command('verify')
    .description('verify a certificate, CRL, OCSP response, CMS (CAdES, time-stamps included) or signed XML and say who signed it')
    .argument('<file>', 'the file to verify (DER, PEM or base64; XML for XMLDSig)')
    .option('--at <time>', 'judge validity as of this time, e.g. 2022-03-01 (default: now; a CMS signer with a valid time-stamp is judged as of its stamp)', instantArgument)
    .option('--content <file>', 'the signed data, for a detached CMS signature');
  const cmd = addTrustOptions(base)
    .addOption(new Option('--purpose <purpose>', 'what the certificate must be good for').choices(['any', 'clientAuth', 'emailProtection']).default('any'))
    .action(async (file: string, flags: VerifyFlags) => {
      const ctx = context();
      const trust = trustOptionsFrom(ctx, flags, { at: flags.at ?? new Date(), purpose: flags.purpose, content: flags.content ? readInput(flags.content) : undefined });
      const data = readInput(file);
      const kind = detectKind(data);
      if (!kind) throw new QtError('QT_ERR_INPUT_INVALID', `${file} is not a certificate, CRL, OCSP response, CMS signature or signed XML`);
      const report: VerifyReport =
        kind === 'crl' ? await verifyCrlKind(data, trust) : kind === 'ocsp' ? await verifyOcspKind(data, trust) : await verifyDocumentKind(kind, data, trust);
      if (!report.ok) ctx.exitCode = 1;
      printResult(ctx, { ok: report.ok, kind: report.kind, at: trust.at.toISOString(), ...report.json, error: report.error?.toJSON() }, [
        ['File', `${file} (${report.kind})`],
        ...report.rows,
      ]);
    });
  withExamples(cmd, [
    ['a certificate against the local CA, revocation fetched from its own OCSP/CRL addresses', 'qoltanba verify AUTH_RSA256_6b36….cer'],
    ['offline, revocation from a CRL file', 'qoltanba verify AUTH_RSA256_6b36….cer --offline --crl rsa.crl'],
    ['a detached CAdES signature of a document, as of a past time', 'qoltanba verify contract.pdf.cms --content contract.pdf --at 2024-06-01 --ca nca_rsa.crt --ca root_rsa.crt'],
    ['a signed XML document against NCA\'s test roots; exit 1 when it does not verify', 'qoltanba --json verify payment.xml --trust nca-test'],
    ['a CAdES-LTA signature years later, with only what it carries (no fetching)', 'qoltanba verify contract.lta.p7s --ca root.pem --offline'],
  ]);
}
