/**
 * The options that say how a signature is judged — trust anchors, intermediates, revocation evidence and
 * where to fetch it — shared by `verify` and `cms extend` (which judges a signature before it embeds the
 * validation data it relied on), so both read them the same way.
 */
import { Option, type Command } from 'commander';
import type { RevocationKind } from '@qoltanba/pki';
import { RevocationFetcher, homeCaTrust, presetTrust, readCertificateFile, resolveVerifyOptions, trustPresets, type TrustPreset, type TrustSet } from '@qoltanba/server';
import type { CliContext } from '../../context.ts';
import { parseMirror, readInput } from './inputs.ts';
import type { TrustOptions } from './report.ts';

export interface TrustFlags {
  ca?: string[];
  trust?: TrustPreset[];
  untrusted?: string[];
  crl?: string[];
  ocsp?: string[];
  revocation: 'off' | 'prefer' | 'require';
  revocationCheck?: RevocationKind[];
  offline?: boolean;
  mirror?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addTrustOptions(cmd: Command): Command {
  return cmd
    .option('--ca <file>', 'CA certificate(s) to trust; repeatable', collect)
    .addOption(new Option('--trust <preset...>', 'built-in trust: local (the CA in the data directory), nca-prod, nca-test (default without --ca: local nca-prod)').choices([...trustPresets]))
    .option('--untrusted <file>', 'intermediate CA certificate(s) that may be used to build the chain; repeatable', collect)
    .option('--crl <file>', 'CRL(s) to check revocation with; repeatable', collect)
    .option('--ocsp <file>', 'OCSP response(s) to check revocation with; repeatable', collect)
    .addOption(new Option('--revocation <mode>', 'require: no revocation answer means NOT VALID | prefer: accept silence | off').choices(['off', 'prefer', 'require']).default('require'))
    .addOption(new Option('--revocation-check <kind...>', 'which evidence may decide: ocsp, crl (default both, OCSP first)').choices(['ocsp', 'crl']))
    .option('--offline', "never fetch the certificates' own OCSP and CRL addresses (use --crl/--ocsp)")
    .option('--mirror <prefix=replacement>', 'fetch from a mirror: replace this URL prefix; repeatable', collect);
}

export function trustOptionsFrom(
  ctx: CliContext,
  flags: TrustFlags,
  rest: { at: Date; purpose: TrustOptions['purpose']; content: Uint8Array | undefined },
): TrustOptions {
  const sets: TrustSet[] = (flags.trust ?? (flags.ca ? [] : ['local', 'nca-prod'])).map((p) => (p === 'local' ? homeCaTrust(ctx.home) : presetTrust(p)));
  if (flags.ca) sets.push({ anchors: flags.ca.flatMap(readCertificateFile), intermediates: [] });
  const fetch = resolveVerifyOptions({ fetch: { mirrors: Object.fromEntries((flags.mirror ?? []).map(parseMirror)) } }).fetch;
  return {
    trustAnchors: sets.flatMap((s) => s.anchors),
    intermediates: [...sets.flatMap((s) => s.intermediates), ...(flags.untrusted ?? []).flatMap(readCertificateFile)],
    at: rest.at,
    crls: flags.crl?.map(readInput) ?? [],
    ocspResponses: flags.ocsp?.map(readInput) ?? [],
    revocation: flags.revocation,
    revocationKinds: flags.revocationCheck,
    revocationSource: flags.offline ? undefined : new RevocationFetcher(fetch).forRequest(),
    purpose: rest.purpose,
    content: rest.content,
  };
}
