/**
 * `qoltanba verify <file>`: what a relying party (a bank, a court) needs to check a Kazakh signature or
 * certificate: the verdict, who signed, what kind of key, the chain and the revocation status. Certificates,
 * CMS and XML are judged by the same core as the server's /api/v1/verify and NCANode routes, with the same
 * defaults: revocation required (fail-closed), fetched from the certificates' own OCSP and CRL addresses.
 * Exit 0 when valid, 1 when not.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { QtError, detectKind, type RevocationKind } from '@qoltanba/pki';
import { RevocationFetcher, homeCaTrust, presetTrust, readCertificateFile, resolveVerifyOptions, trustPresets, type TrustPreset, type TrustSet } from '@qoltanba/server';
import type { ContextFactory } from '../index.ts';
import { printResult } from '../../output.ts';
import { withExamples } from '../../help.ts';
import { parseInstant, parseMirror, readInput } from './inputs.ts';
import { verifyCrlKind, verifyDocumentKind, verifyOcspKind } from './kinds.ts';
import type { TrustOptions, VerifyReport } from './report.ts';

interface VerifyFlags {
  ca?: string[];
  trust?: TrustPreset[];
  untrusted?: string[];
  at?: Date;
  content?: string;
  crl?: string[];
  ocsp?: string[];
  revocation: 'off' | 'prefer' | 'require';
  revocationCheck?: RevocationKind[];
  offline?: boolean;
  mirror?: string[];
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
    .option('--ca <file>', 'CA certificate(s) to trust; repeatable', collect)
    .addOption(new Option('--trust <preset...>', 'built-in trust: local (the CA in the data directory), nca-prod, nca-test (default without --ca: local nca-prod)').choices([...trustPresets]))
    .option('--untrusted <file>', 'intermediate CA certificate(s) that may be used to build the chain; repeatable', collect)
    .option('--at <time>', 'judge validity as of this time, e.g. 2022-03-01 (default: now)', instantArgument)
    .option('--content <file>', 'the signed data, for a detached CMS signature')
    .option('--crl <file>', 'CRL(s) to check revocation with; repeatable', collect)
    .option('--ocsp <file>', 'OCSP response(s) to check revocation with; repeatable', collect)
    .addOption(new Option('--revocation <mode>', 'require: no revocation answer means NOT VALID | prefer: accept silence | off').choices(['off', 'prefer', 'require']).default('require'))
    .addOption(new Option('--revocation-check <kind...>', 'which evidence may decide: ocsp, crl (default both, OCSP first)').choices(['ocsp', 'crl']))
    .option('--offline', "never fetch the certificates' own OCSP and CRL addresses (use --crl/--ocsp)")
    .option('--mirror <prefix=replacement>', 'fetch from a mirror: replace this URL prefix; repeatable', collect)
    .addOption(new Option('--purpose <purpose>', 'what the certificate must be good for').choices(['any', 'clientAuth', 'emailProtection']).default('any'))
    .action(async (file: string, flags: VerifyFlags) => {
      const ctx = context();
      const sets: TrustSet[] = (flags.trust ?? (flags.ca ? [] : ['local', 'nca-prod'])).map((p) => (p === 'local' ? homeCaTrust(ctx.home) : presetTrust(p)));
      if (flags.ca) sets.push({ anchors: flags.ca.flatMap(readCertificateFile), intermediates: [] });
      const fetch = resolveVerifyOptions({ fetch: { mirrors: Object.fromEntries((flags.mirror ?? []).map(parseMirror)) } }).fetch;
      const trust: TrustOptions = {
        trustAnchors: sets.flatMap((s) => s.anchors),
        intermediates: [...sets.flatMap((s) => s.intermediates), ...(flags.untrusted ?? []).flatMap(readCertificateFile)],
        at: flags.at ?? new Date(),
        crls: flags.crl?.map(readInput) ?? [],
        ocspResponses: flags.ocsp?.map(readInput) ?? [],
        revocation: flags.revocation,
        revocationKinds: flags.revocationCheck,
        revocationSource: flags.offline ? undefined : new RevocationFetcher(fetch).forRequest(),
        purpose: flags.purpose,
        content: flags.content ? readInput(flags.content) : undefined,
      };
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
  ]);
}
