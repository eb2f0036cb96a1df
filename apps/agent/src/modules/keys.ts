/**
 * kz.qoltanba.keys — our extension for (re)issuance, in basics' envelope (documented in apps/agent/PROTOCOL.md):
 *  - generateKeys: new AUTH and SIGN key pairs in the storage the user picks; returns PKCS#10 requests;
 *  - installCertificates: the issued certificates (+ chain) go next to their pending keys;
 *  - listPending: requests of this site still waiting for certificates.
 * NCALayer does the same for pki.gov.kz through modules it does not document; the failure codes are its own.
 */
import { buildKzSubject, derFrom, QtError, type Bytes, type KzSubjectInput } from '@qoltanba/pki';
import { InstallFlow } from '../consent/flows/install.ts';
import { NewKeysFlow } from '../consent/flows/new-keys.ts';
import { generateKeys, KEY_ALGORITHMS, prepareFileKeys, TOKEN_KEY_ALGORITHMS, type KeyAlgorithm } from '../keygen/generator.ts';
import { matchCertificates, type InstalledKey } from '../keygen/installer.ts';
import type { PendingKeyType, PendingRequest } from '../keygen/pending-store.ts';
import type { AgentKeySources } from '../keystores/sources.ts';
import { field, namedArgs } from '../protocol/args.ts';
import type { AgentModule } from '../protocol/dispatcher.ts';
import type { ModuleDeps } from './deps.ts';

export const QOLTANBA_KEYS = 'kz.qoltanba.keys';

const KEY_TYPES: readonly PendingKeyType[] = ['AUTHENTICATION', 'SIGNATURE'];

function certificatesFrom(list: readonly string[], what: string): Bytes[] {
  return list.map((c) => {
    try {
      return derFrom(c.trim(), c.includes('-----BEGIN') ? 'CERTIFICATE' : undefined);
    } catch {
      throw new QtError('QT_ERR_CERT_MALFORMED', `A ${what} is neither PEM nor base64 DER`);
    }
  });
}

function publicView(request: PendingRequest) {
  return {
    requestId: request.requestId,
    createdAt: request.createdAt,
    storage: request.storage,
    keys: request.keys.map((k) => ({ keyType: k.keyType, csr: k.csr })),
  };
}

export function keysModule(deps: ModuleDeps & { keys: AgentKeySources }): AgentModule {
  return {
    name: QOLTANBA_KEYS,
    family: 'basics',
    methods: {
      generateKeys: {
        workFailure: 'CSR_GENERATING_FAILURE',
        site: 'consent',
        async run(raw, ctx) {
          const args = namedArgs(raw);
          const storage = field<string>(args, 'storage', 'string') ?? null;
          const keyTypes = field<string[]>(args, 'keyTypes', 'string[]', [...KEY_TYPES]);
          const algorithm = field<string>(args, 'algorithm', 'string', 'RSA-2048');
          const subject = field<Record<string, unknown>>(args, 'subject', 'object');
          if (keyTypes.length === 0 || keyTypes.some((k) => !KEY_TYPES.includes(k as PendingKeyType)) || new Set(keyTypes).size !== keyTypes.length) {
            throw new QtError('QT_ERR_AGENT_PARAMS_INVALID', 'keyTypes lists AUTHENTICATION and/or SIGNATURE, each once');
          }
          if (!(KEY_ALGORITHMS as readonly string[]).includes(algorithm)) {
            throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `algorithm must be one of ${KEY_ALGORITHMS.join(', ')}`);
          }
          // Refused before the user is asked anything, when the site names a token for a key-file-only algorithm.
          if (storage && storage !== 'PKCS12' && !TOKEN_KEY_ALGORITHMS.includes(algorithm as KeyAlgorithm)) {
            throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `${algorithm} keys can be created in key files (PKCS12) only`);
          }
          const request = {
            origin: ctx.origin,
            keyTypes: keyTypes as PendingKeyType[],
            algorithm: algorithm as KeyAlgorithm,
            // The CA checks identifiers against its registry; here any 12 digits pass, so test IINs work too.
            subject: subject ? buildKzSubject(subject as unknown as KzSubjectInput, { testMode: true }) : undefined,
          };
          // Key-file pairs are made while the person reads the page and chooses a password (wiped if unused).
          const prepared = storage === null || storage === 'PKCS12' ? prepareFileKeys(request.algorithm, request.keyTypes.length) : undefined;
          const flow = new NewKeysFlow<PendingRequest>({
            sources: deps.keys,
            storage,
            kinds: keyTypes.map((k) => (k === 'AUTHENTICATION' ? 'AUTH' : 'SIGN')).join(' + '),
            algorithm,
            perform: async (target) => {
              const pending = await generateKeys({ ...request, prepared }, target, deps.keys.tokens);
              await deps.pending.save(pending);
              return pending;
            },
          });
          try {
            const pending = await deps.consents.ask({ origin: ctx.origin, site: ctx.site, locale: ctx.locale, signal: ctx.signal, purpose: { kind: 'generate' }, flow });
            return publicView(pending);
          } finally {
            await prepared?.wipe();
          }
        },
      },
      installCertificates: {
        workFailure: 'CERTIFICATE_IMPORTING_FAILURE',
        site: 'consent',
        async run(raw, ctx) {
          const args = namedArgs(raw);
          const requestId = field<string>(args, 'requestId', 'string');
          if (!requestId) throw new QtError('QT_ERR_AGENT_ARGUMENT_TYPE', 'JSONObject["requestId"] not found.');
          const certificates = certificatesFrom(field<string[]>(args, 'certificates', 'string[]', []), 'certificate');
          const chain = certificatesFrom(field<string[]>(args, 'chain', 'string[]', []), 'CA certificate');
          const request = await deps.pending.load(requestId);
          // Another allow-listed site must not even learn that this request exists.
          if (request.origin !== ctx.origin) throw new QtError('QT_ERR_AGENT_PENDING_UNKNOWN', `No pending key request ${requestId}`);
          const matched = matchCertificates(request, certificates);
          const flow = new InstallFlow<InstalledKey[]>({
            storage: request.storage,
            certificates: matched.map((m) => m.description),
            perform: (secret) => deps.installer.install(request, matched, chain, secret),
            describeResult: (installed) => installed.map((i) => i.fileName ?? i.subjectKeyId).join(', '),
          });
          const installed = await deps.consents.ask({ origin: ctx.origin, site: ctx.site, locale: ctx.locale, signal: ctx.signal, purpose: { kind: 'install' }, flow });
          return { requestId, storage: request.storage, installed };
        },
      },
      listPending: {
        async run(raw, ctx) {
          if (raw !== undefined && raw !== null) namedArgs(raw);
          return (await deps.pending.list()).filter((r) => r.origin === ctx.origin).map(publicView);
        },
      },
    },
  };
}
