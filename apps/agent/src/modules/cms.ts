/**
 * kz.qoltanba.cms — our extension for documents signed by several people (basics envelope, PROTOCOL.md):
 *  - addSigner: the person's signature is added beside the signatures a CMS already carries (what NCANode's
 *    /cms/sign/add does on a server, here with the person's own key and consent). Earlier signers, their
 *    signed attributes and their time-stamps stay byte for byte (pki's SignedData editor re-encodes only the
 *    containers around the new SignerInfo); the new signer gets a time-stamp of its own when asked.
 * Before anyone is asked, every earlier signature must verify over the document: nobody co-signs a document
 * that was changed after the first signature.
 */
import { addCmsSigner, isQtError, QtError, SignedDataEditor, toCmsPem, verifyCms } from '@qoltanba/pki';
import { normalizeLocale } from '@qoltanba/i18n';
import { previewBytes } from '../consent/preview.ts';
import { describeCertificate } from '../keystores/describe.ts';
import { field, namedArgs } from '../protocol/args.ts';
import type { AgentModule, RequestContext } from '../protocol/dispatcher.ts';
import { requireStamper } from '../tsa/client.ts';
import { signerRequirements } from './basics.ts';
import { decodeCmsArgument, decodeDocument } from './documents.ts';
import { useKeyWithConsent, type ModuleDeps } from './deps.ts';

export const QOLTANBA_CMS = 'kz.qoltanba.cms';

/** Co-signers beyond this many are refused: each earlier signature is verified before the person is asked. */
const MAX_SIGNERS = 32;

function who(certificate: Uint8Array): string {
  const d = describeCertificate(certificate);
  return d.iin ? `${d.subjectCn} (${d.iin})` : d.subjectCn;
}

export function cmsModule(deps: ModuleDeps): AgentModule {
  return {
    name: QOLTANBA_CMS,
    family: 'basics',
    methods: {
      addSigner: {
        workFailure: 'SIGNING_FAILURE',
        site: 'consent',
        async run(raw: unknown, ctx: RequestContext) {
          const args = namedArgs(raw);
          const cmsText = field<string>(args, 'cms', 'string');
          if (!cmsText) throw new QtError('QT_ERR_AGENT_ARGUMENT_TYPE', 'JSONObject["cms"] not found.');
          const data = field<string>(args, 'data', 'string');
          const allowedStorages = field<string[]>(args, 'allowedStorages', 'string[]') ?? null;
          const signerParams = field<Record<string, unknown>>(args, 'signerParams', 'object', {});
          const signingParams = field<Record<string, unknown>>(args, 'signingParams', 'object', {});
          const locale = normalizeLocale(field<string>(args, 'locale', 'string')) ?? ctx.locale;
          const stamper = field<Record<string, unknown>>(signingParams, 'tsaProfile', 'object') ? requireStamper(deps.stamper) : undefined;

          const existing = decodeCmsArgument(cmsText);
          const editor = SignedDataEditor.open(existing);
          if (editor.signerCount >= MAX_SIGNERS) throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', `The CMS already has ${editor.signerCount} signers`);
          const attached = editor.attachedContent();
          const content = attached ?? (data !== undefined ? decodeDocument(data, true) : undefined);
          if (!content) throw new QtError('QT_ERR_CMS_NO_CONTENT', 'The CMS is detached: send the signed document in "data" (base64)');
          let earlier: string[];
          try {
            const verified = await verifyCms(existing, { content });
            earlier = verified.signers.map((s) => who(s.certificate));
          } catch (e) {
            const why = isQtError(e) ? e.message : 'it cannot be checked';
            throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', `An earlier signature in the CMS does not verify over the document (${why}); nothing is co-signed`);
          }

          const requirements = signerRequirements(signerParams);
          const localCtx: RequestContext = { origin: ctx.origin, site: ctx.site, locale, setLocale: ctx.setLocale, signal: ctx.signal };
          const der = await useKeyWithConsent(deps, localCtx, {
            purpose: { kind: 'sign', format: 'cms', documents: [previewBytes(content)], attached: attached !== undefined, earlierSigners: earlier, timeStampFrom: stamper?.url },
            allowedStorages,
            requirements,
            perform: async (key) => {
              const cosigned = await addCmsSigner(existing, {
                signer: key.signer,
                certificate: key.certificate,
                content: attached ? undefined : content,
                signingTime: deps.now(),
              });
              return stamper ? stamper.stamp(cosigned, [editor.signerCount]) : cosigned;
            },
          });
          return toCmsPem(der);
        },
      },
    },
  };
}
