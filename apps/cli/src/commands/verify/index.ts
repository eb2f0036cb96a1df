/**
 * `qoltanba verify <file>`: what a relying party (a bank, a court) needs to check a Kazakh signature or
 * certificate: the verdict, who signed, what kind of key, the chain and the revocation status.
 * Exit 0 when valid, 1 when not.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { QtError } from '@qoltanba/pki';
import type { ContextFactory } from '../index.ts';
import { printResult } from '../../output.ts';
import { withExamples } from '../../help.ts';
import { detectKind } from './detect.ts';
import { homeCaCertificates, parseInstant, readCertificates, readInput } from './inputs.ts';
import { verifyCertificateKind, verifyCmsKind, verifyCrlKind, verifyOcspKind, verifyXmlKind } from './kinds.ts';
import type { TrustOptions, VerifyReport } from './report.ts';

interface VerifyFlags {
  ca?: string[];
  untrusted?: string[];
  at?: Date;
  content?: string;
  crl?: string[];
  ocsp?: string[];
  revocation: 'off' | 'prefer' | 'require';
  purpose: 'any' | 'clientAuth' | 'emailProtection';
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function instantArgument(text: string): Date {
  try {
    return parseInstant(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function registerVerify(program: Command, context: ContextFactory): void {
  const cmd = program
    .command('verify')
    .description('verify a certificate, CRL, OCSP response, CMS (CAdES) or signed XML and say who signed it')
    .argument('<file>', 'the file to verify (DER, PEM or base64; XML for XMLDSig)')
    .option('--ca <file>', 'CA certificate(s) to trust; repeatable (default: the local CA in the data directory)', collect)
    .option('--untrusted <file>', 'intermediate CA certificate(s) that may be used to build the chain; repeatable', collect)
    .option('--at <time>', 'judge validity as of this time, e.g. 2022-03-01 (default: now)', instantArgument)
    .option('--content <file>', 'the signed data, for a detached CMS signature')
    .option('--crl <file>', 'CRL(s) to check revocation with; repeatable', collect)
    .option('--ocsp <file>', 'OCSP response(s) to check revocation with; repeatable', collect)
    .addOption(new Option('--revocation <mode>', 'off | prefer (use --crl/--ocsp when given) | require').choices(['off', 'prefer', 'require']).default('prefer'))
    .addOption(new Option('--purpose <purpose>', 'what the certificate must be good for').choices(['any', 'clientAuth', 'emailProtection']).default('any'))
    .action(async (file: string, flags: VerifyFlags) => {
      const ctx = context();
      const anchors = flags.ca?.flatMap(readCertificates) ?? homeCaCertificates(ctx.home);
      const trust: TrustOptions = {
        trustAnchors: anchors,
        intermediates: flags.untrusted?.flatMap(readCertificates) ?? [],
        at: flags.at ?? new Date(),
        crls: flags.crl?.map(readInput) ?? [],
        ocspResponses: flags.ocsp?.map(readInput) ?? [],
        revocation: flags.revocation,
        purpose: flags.purpose,
        content: flags.content ? readInput(flags.content) : undefined,
      };
      const data = readInput(file);
      const kind = detectKind(data);
      if (!kind) throw new QtError('QT_ERR_INPUT_INVALID', `${file} is not a certificate, CRL, OCSP response, CMS signature or signed XML`);
      const verify = { certificate: verifyCertificateKind, crl: verifyCrlKind, ocsp: verifyOcspKind, cms: verifyCmsKind, xml: verifyXmlKind }[kind];
      const report: VerifyReport = await verify(data, trust);
      if (!report.ok) ctx.exitCode = 1;
      printResult(ctx, { ok: report.ok, kind: report.kind, at: trust.at.toISOString(), ...report.json, error: report.error?.toJSON() }, [
        ['File', `${file} (${report.kind})`],
        ...report.rows,
      ]);
    });
  withExamples(cmd, [
    ['a certificate against the local CA, revocation from a CRL', 'qoltanba verify AUTH_RSA256_6b36….cer --crl rsa.crl'],
    ['a detached CAdES signature of a document, as of a past time', 'qoltanba verify contract.pdf.cms --content contract.pdf --at 2024-06-01 --ca nca_rsa.crt --ca root_rsa.crt'],
    ['a signed XML document; exit 1 when it does not verify', 'qoltanba --json verify payment.xml --ca root_gost.crt --untrusted nca_gost.crt'],
  ]);
}
