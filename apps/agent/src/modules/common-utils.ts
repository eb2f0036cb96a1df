/**
 * kz.gov.pki.knca.commonUtils: NCALayer's positional-argument API. Every method that touches a key goes through
 * the agent's consent page; the arguments are checked first, so a bad call never bothers the user.
 */
import { normalizeLocale } from '@qoltanba/i18n';
import { QtError, toBase64 } from '@qoltanba/pki';
import { previewBytes, previewDigest, previewXml } from '../consent/preview.ts';
import { keyTypeFrom } from '../keystores/filter.ts';
import { positionalArgs } from '../protocol/args.ts';
import type { AgentModule, RequestContext } from '../protocol/dispatcher.ts';
import { keyInfoOf, prehash, signCmsWith } from '../signing/operations.ts';
import { checkXml, signXmlWith } from '../signing/xml.ts';
import { decodeCmsArgument, decodeDigest, decodeDocument, readSignableFile } from './documents.ts';
import { requireStamper } from '../tsa/client.ts';
import { useKeyWithConsent, type ModuleDeps } from './deps.ts';

export const COMMON_UTILS = 'kz.gov.pki.knca.commonUtils';

const S = { kind: 'string' } as const;

export function commonUtilsModule(deps: ModuleDeps): AgentModule {
  /**
   * createCAdESFrom… and createCMSSignatureFrom… take the same arguments and sign the same way, except that
   * NCALayer's createCMSSignature… add a time-stamp from its TSA (CAdES-T) and createCAdES… do not.
   * …FromFile names a file on this computer instead of sending its bytes.
   */
  const cmsSigning = (method: string, from: 'base64' | 'file', timeStamped: boolean) => ({
    workFailure: 'SIGNING_FAILURE' as const,
    site: 'consent' as const,
    async run(args: unknown, ctx: RequestContext) {
      const [storage, keyType, data, attached] = positionalArgs(method, args, [S, S, S, { kind: 'boolean', default: false }]) as [string, string, string, boolean];
      const stamper = timeStamped ? requireStamper(deps.stamper) : undefined;
      const source = from === 'file' ? await readSignableFile(data) : { content: decodeDocument(data, true), path: undefined };
      const sha256 = prehash(source.content, !attached);
      const der = await useKeyWithConsent(deps, ctx, {
        purpose: { kind: 'sign', format: 'cms', documents: [previewBytes(source.content)], attached, sourceFile: source.path, timeStampFrom: stamper?.url },
        allowedStorages: [storage],
        requirements: { keyType: keyTypeFrom(keyType) },
        perform: (key) => signCmsWith(key, { content: source.content, detached: !attached, digested: false, signingTime: deps.now(), timeStamp: stamper, sha256 }),
      });
      return toBase64(der);
    },
  });

  const xmlSigning = (method: 'signXml' | 'signXmls') => ({
    workFailure: 'SIGNING_FAILURE' as const,
    site: 'consent' as const,
    async run(args: unknown, ctx: RequestContext) {
      const [storage, keyType, xml, tbsXPath, parentXPath] = positionalArgs(method, args, [
        S,
        S,
        { kind: method === 'signXml' ? 'string' : 'string[]' },
        { kind: 'string', default: '' },
        { kind: 'string', default: '' },
      ]) as [string, string, string | string[], string, string];
      const documents = typeof xml === 'string' ? [xml] : xml;
      if (documents.length === 0) throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', 'There are no XML documents to sign');
      documents.forEach((d) => checkXml(d));
      const signed = await useKeyWithConsent(deps, ctx, {
        purpose: { kind: 'sign', format: 'xml', documents: documents.map(previewXml) },
        allowedStorages: [storage],
        requirements: { keyType: keyTypeFrom(keyType) },
        // NCALayer's commonUtils writes the signature with CRLF line breaks (see the captured exchanges).
        perform: (key) => Promise.all(documents.map((d) => signXmlWith(key, d, { tbsXPath, parentXPath, lineEnding: '\r\n' }))),
      });
      return typeof xml === 'string' ? signed[0] : signed;
    },
  });

  return {
    name: COMMON_UTILS,
    family: 'common',
    methods: {
      getActiveTokens: {
        async run(args) {
          positionalArgs('getActiveTokens', args, []);
          return deps.keys.activeTokenStorages();
        },
      },
      getKeyInfo: {
        site: 'consent',
        async run(args, ctx) {
          const [storage] = positionalArgs('getKeyInfo', args, [S]) as [string];
          return useKeyWithConsent(deps, ctx, {
            purpose: { kind: 'keyInfo' },
            allowedStorages: [storage],
            requirements: {},
            share: true,
            perform: async (key) => keyInfoOf(key),
          });
        },
      },
      createCAdESFromBase64: cmsSigning('createCAdESFromBase64', 'base64', false),
      createCMSSignatureFromBase64: cmsSigning('createCMSSignatureFromBase64', 'base64', true),
      createCAdESFromFile: cmsSigning('createCAdESFromFile', 'file', false),
      createCMSSignatureFromFile: cmsSigning('createCMSSignatureFromFile', 'file', true),
      applyCAdEST: {
        workFailure: 'SIGNING_FAILURE',
        async run(args) {
          // NCALayer: [storage, keyType, cmsBase64]; the key plays no part (a stamp covers the signatures already
          // made), so [cmsBase64] alone is accepted too.
          const list = Array.isArray(args) && args.length === 1 ? ['', '', args[0]] : args;
          const [, , cms] = positionalArgs('applyCAdEST', list, [S, S, S]) as [string, string, string];
          const stamper = requireStamper(deps.stamper);
          const der = decodeCmsArgument(cms);
          return toBase64(await stamper.stamp(der));
        },
      },
      createCAdESFromBase64Hash: {
        workFailure: 'SIGNING_FAILURE',
        site: 'consent',
        async run(args, ctx) {
          const [storage, keyType, hash] = positionalArgs('createCAdESFromBase64Hash', args, [S, S, S]) as [string, string, string];
          const { digest, algorithm } = decodeDigest(hash);
          const der = await useKeyWithConsent(deps, ctx, {
            purpose: { kind: 'sign', format: 'cms', documents: [previewDigest(digest, algorithm)], attached: false },
            allowedStorages: [storage],
            requirements: { keyType: keyTypeFrom(keyType) },
            perform: (key) => signCmsWith(key, { content: digest, detached: true, digested: true, signingTime: deps.now() }),
          });
          return toBase64(der);
        },
      },
      signXml: xmlSigning('signXml'),
      signXmls: xmlSigning('signXmls'),
      changeLocale: {
        site: 'none',
        async run(args, ctx) {
          const [locale] = positionalArgs('changeLocale', args, [S]) as [string];
          const l = normalizeLocale(locale);
          // NCALayer accepts any locale id and keeps its language when it has no such translation; so do we.
          if (l) ctx.setLocale(l);
          return undefined;
        },
      },
    },
  };
}
