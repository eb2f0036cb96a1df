/**
 * kz.gov.pki.knca.basics.sign: NCALayer's named-argument API (2022). CMS comes back PEM-armoured, one per
 * document (a single string when one string was sent); XML comes back as an array. Cancel is an empty body.
 */
import { normalizeLocale } from '@qoltanba/i18n';
import { QtError, toCmsPem } from '@qoltanba/pki';
import { previewBytes, previewDigest, previewXml } from '../consent/preview.ts';
import type { KeyRequirements } from '../keystores/filter.ts';
import { field, flag, namedArgs } from '../protocol/args.ts';
import type { AgentModule, RequestContext } from '../protocol/dispatcher.ts';
import { prehash, signCmsWith } from '../signing/operations.ts';
import { checkXml, signXmlWith } from '../signing/xml.ts';
import { describeCaCertificate } from '../keystores/describe.ts';
import { decodeDigest, decodeDocument } from './documents.ts';
import { requireStamper } from '../tsa/client.ts';
import { useKeyWithConsent, type ModuleDeps } from './deps.ts';

export const BASICS = 'kz.gov.pki.knca.basics';

/** A page may send many documents at once; each is shown and signed, so the count is bounded. */
const MAX_DOCUMENTS = 100;

export function signerRequirements(signerParams: Record<string, unknown>): KeyRequirements {
  const chain = field<string[]>(signerParams, 'chain', 'string[]');
  return {
    extKeyUsageOids: field<string[]>(signerParams, 'extKeyUsageOids', 'string[]', []),
    iin: field<string>(signerParams, 'iin', 'string') || undefined,
    bin: field<string>(signerParams, 'bin', 'string') || undefined,
    serialNumber: field<string>(signerParams, 'serialNumber', 'string') || undefined,
    // NCALayer reads an absent chain as "NCA's production CAs only"; the agent has no built-in CA list, so
    // absent and [] both mean any CA, and a non-empty chain restricts keys to certificates those CAs issued.
    issuers: chain?.map((c) => describeCaCertificate(c)),
  };
}

export function basicsModule(deps: ModuleDeps): AgentModule {
  return {
    name: BASICS,
    family: 'basics',
    methods: {
      sign: {
        workFailure: 'SIGNING_FAILURE',
        site: 'consent',
        async run(rawArgs: unknown, ctx: RequestContext) {
          const args = namedArgs(rawArgs);
          const allowedStorages = field<string[]>(args, 'allowedStorages', 'string[]') ?? null;
          const format = field<string>(args, 'format', 'string');
          const data = args.data;
          const signingParams = field<Record<string, unknown>>(args, 'signingParams', 'object', {});
          const signerParams = field<Record<string, unknown>>(args, 'signerParams', 'object', {});
          const locale = normalizeLocale(field<string>(args, 'locale', 'string')) ?? ctx.locale;
          if (typeof data !== 'string' && !(Array.isArray(data) && data.every((d) => typeof d === 'string'))) {
            throw new QtError('QT_ERR_AGENT_ARGUMENT_TYPE', 'JSONObject["data"] is neither a string nor a JSONArray of strings.');
          }
          const documents = typeof data === 'string' ? [data] : data;
          if (documents.length === 0 || documents.length > MAX_DOCUMENTS) {
            throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', `Send between 1 and ${MAX_DOCUMENTS} documents`);
          }
          if (format !== 'cms' && format !== 'xml') throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', 'format must be "cms" or "xml"');
          const requirements = signerRequirements(signerParams);
          const localCtx: RequestContext = { origin: ctx.origin, site: ctx.site, locale, setLocale: ctx.setLocale, signal: ctx.signal };

          if (format === 'xml') {
            documents.forEach((d) => checkXml(d));
            return useKeyWithConsent(deps, localCtx, {
              purpose: { kind: 'sign', format: 'xml', documents: documents.map(previewXml) },
              allowedStorages,
              requirements,
              // basics writes LF line breaks (captured exchange 48), unlike commonUtils.
              perform: (key) => Promise.all(documents.map((d) => signXmlWith(key, d, { lineEnding: '\n' }))),
            });
          }

          const decode = flag(signingParams, 'decode', true);
          const encapsulate = flag(signingParams, 'encapsulate', true);
          const digested = flag(signingParams, 'digested', false);
          // A tsaProfile (even {}, as ncalayer-js-client's basicsCMSParams… send it) asks for a signature time-stamp
          // from the TSA: every CMS then carries one, or the request fails — never a CMS without it.
          const stamper = field<Record<string, unknown>>(signingParams, 'tsaProfile', 'object') ? requireStamper(deps.stamper) : undefined;
          const parts = digested
            ? documents.map((d) => {
                const { digest, algorithm } = decodeDigest(d);
                return { content: digest, preview: previewDigest(digest, algorithm), sha256: undefined as Uint8Array | undefined };
              })
            : documents.map((d) => {
                const content = decodeDocument(d, decode);
                return { content, preview: previewBytes(content), sha256: prehash(content, !encapsulate) };
              });
          const detached = digested || !encapsulate;
          const pems = await useKeyWithConsent(deps, localCtx, {
            purpose: { kind: 'sign', format: 'cms', documents: parts.map((p) => p.preview), attached: !detached, timeStampFrom: stamper?.url },
            allowedStorages,
            requirements,
            perform: async (key) => {
              const out: string[] = [];
              for (const p of parts) {
                out.push(toCmsPem(await signCmsWith(key, { content: p.content, detached, digested, signingTime: deps.now(), timeStamp: stamper, sha256: p.sha256 })));
              }
              return out;
            },
          });
          return typeof data === 'string' ? pems[0] : pems;
        },
      },
    },
  };
}
