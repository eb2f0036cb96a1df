/**
 * `qoltanba cms extend <file> --level T|LT|LTA`: raises an existing CMS signature to CAdES-T (a signature
 * time-stamp on every signer that has none), -LT (the certificates and CRLs/OCSP responses the signature is
 * valid with now, judged by the same core as `verify`) and -LTA (an archive time-stamp over all of it). Nothing
 * signed changes: other signers and earlier stamps are kept byte for byte. Exit 0 when extended, 1 when the TSA
 * refuses or the signature is not valid now (LT), 2 for a usage mistake.
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { QtError, derFrom, extendCades, fromUtf8, httpTsaTransport, isPem, timeStampHashOid, toCmsPem, type ExtendLevel } from '@qoltanba/pki';
import type { ContextFactory } from '../../context.ts';
import { printResult, type Row } from '../../output.ts';
import { withExamples } from '../../help.ts';
import { readInput } from '../verify/inputs.ts';
import { addTrustOptions, trustOptionsFrom, type TrustFlags } from '../verify/trust-flags.ts';

interface ExtendFlags extends TrustFlags {
  level: ExtendLevel;
  tsaUrl?: string;
  out?: string;
  content?: string;
  hash: string;
  policy?: string;
}

function hashArgument(text: string): string {
  try {
    timeStampHashOid(text);
    return text;
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function registerCms(program: Command, context: ContextFactory): void {
  const cms = program.command('cms').description('work with CMS (CAdES) signatures: time-stamps and long-term validation data');
  withExamples(cms, [['make a signature verifiable after its certificate expires', 'qoltanba cms extend contract.p7s --level LTA --tsa-url http://127.0.0.1:8080/tsp --ca root.pem']]);
  const base = cms
    .command('extend')
    .description('add time-stamps (T), validation data (LT) and archive time-stamps (LTA) to an existing CMS signature')
    .argument('<file>', 'the CMS signature (DER, PEM or base64)')
    .addOption(new Option('--level <level>', 'T: signature time-stamps | LT: + chain and revocation data | LTA: + archive time-stamps').choices(['T', 'LT', 'LTA']).makeOptionMandatory())
    .option('--tsa-url <url>', 'the TSA to ask (RFC 3161 over HTTP; default $QOLTANBA_TSA_URL)')
    .option('--out <file>', 'where to write the result (default: <file> with .t/.lt/.lta before its extension); same format (DER or PEM) as the input')
    .option('--content <file>', 'the signed data, for a detached CMS signature (needed for LT and LTA)')
    .option('--hash <name>', 'the hash of the time-stamp requests: SHA-256, SHA-384, SHA-512, Streebog-256, Streebog-512', hashArgument, 'SHA-256')
    .option('--policy <oid>', 'the TSA policy to ask for (default: the TSA\'s own)');
  const cmd = addTrustOptions(base).action(async (file: string, flags: ExtendFlags) => {
    const ctx = context();
    const tsaUrl = flags.tsaUrl ?? ctx.env.QOLTANBA_TSA_URL;
    if (!tsaUrl) throw new QtError('QT_ERR_INPUT_INVALID', 'Which TSA? Pass --tsa-url <url> or set QOLTANBA_TSA_URL');
    const input = readInput(file);
    const pem = isPem(input);
    const content = flags.content ? readInput(flags.content) : undefined;
    const trust = flags.level === 'T' ? undefined : trustOptionsFrom(ctx, flags, { at: new Date(), purpose: 'any', content });
    if (trust && trust.trustAnchors.length === 0) throw new QtError('QT_ERR_CHAIN_INCOMPLETE', 'No CA to trust: pass --ca <file> or --trust (LT judges the signature before it embeds its validation data)');
    const result = await extendCades(pem ? derFrom(fromUtf8(input)) : input, {
      level: flags.level,
      transport: httpTsaTransport(tsaUrl),
      hash: flags.hash,
      policy: flags.policy,
      content,
      verify: trust,
    });
    const out = flags.out ?? defaultOut(file, flags.level);
    writeFileSync(out, pem ? toCmsPem(result.cms) : result.cms);
    const stamps = result.stamps.map((s) => ({ signer: s.signer + 1, kind: s.kind, genTime: s.info.genTime.toISOString(), policy: s.info.policy, serialNumber: s.info.serialNumber }));
    const rows: Row[] = [
      ['Extended', `${file} → ${out} (CAdES-${flags.level})`],
      ...stamps.map((s): Row => [`Signer ${s.signer}`, `${s.kind === 'signature' ? 'signature time-stamp' : 'archive time-stamp'} at ${s.genTime}, serial ${s.serialNumber}`]),
    ];
    if (result.stamps.length === 0) rows.push(['Time-stamps', 'none added: every signer already had a signature time-stamp']);
    if (result.validationData) rows.push(['Validation data', `${result.validationData.certificates} certificate(s), ${result.validationData.crls} CRL(s), ${result.validationData.ocspResponses} OCSP response(s) added`]);
    printResult(ctx, { ok: true, file, out, level: flags.level, stamps, validationData: result.validationData }, rows);
  });
  withExamples(cmd, [
    ['a signature time-stamp on every signer of a CMS that has none (CAdES-T)', 'qoltanba cms extend contract.p7s --level T --tsa-url http://127.0.0.1:8080/tsp'],
    ['long-term: stamps, then the chain and revocation data fetched now, then an archive stamp', 'qoltanba cms extend contract.p7s --level LTA --tsa-url http://127.0.0.1:8080/tsp --ca root.pem --out contract.lta.p7s'],
    ['a detached signature, checked against NCA\'s roots', 'qoltanba --json cms extend doc.pdf.cms --content doc.pdf --level LT --trust nca-prod --tsa-url http://tsp.pki.gov.kz'],
  ]);
}

function defaultOut(file: string, level: ExtendLevel): string {
  const dot = file.lastIndexOf('.');
  const slash = file.lastIndexOf('/');
  const suffix = level.toLowerCase();
  return dot > slash + 1 ? `${file.slice(0, dot)}.${suffix}${file.slice(dot)}` : `${file}.${suffix}`;
}

