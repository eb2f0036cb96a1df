/**
 * The signer role's internal API. Only the signer process holds CA keys; the other roles reach it here with
 * a bearer token (constant-time compared, never logged). It signs only for keys the CA registry knows
 * (cas.key_uri, ocsp_signers.key_uri, tsa_signers.key_uri) and only structures of the stated purpose (see
 * purpose-guard.ts); a TSA key signs time-stamps only, and only a TSA key signs them.
 * Bind it to a private address: it is not for the internet.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { QtError, toBase64 } from '@qoltanba/pki';
import type { KeyStoreConfig } from '@qoltanba/keystore';
import type { ServerContext } from '../context.ts';
import { InProcessSignerProvider } from './in-process.ts';
import type { SigningPurpose } from './provider.ts';
import { ensureLocalSecret } from '../secrets.ts';

const PURPOSES: readonly SigningPurpose[] = ['certificate', 'crl', 'ocsp', 'timestamp', 'audit-checkpoint'];
/** The largest structure we sign: a TBSCertList of a few million entries. */
const MAX_TBS_BYTES = 512 * 1024 * 1024;

export interface SignerRoutesOptions {
  ctx: ServerContext;
  keystore: KeyStoreConfig;
  /** Defaults to $QOLTANBA_HOME/secrets/signer-token (generated on first start). */
  token?: string;
}

export async function signerRoutes(app: FastifyInstance, opts: SignerRoutesOptions): Promise<void> {
  const token = opts.token ?? ensureLocalSecret(opts.ctx.config.home, 'signer-token').value;
  const expected = createHash('sha256').update(token).digest();
  const provider = new InProcessSignerProvider(opts.keystore);
  app.addHook('onClose', () => provider.close());
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_TBS_BYTES }, (_req, body, done) => done(null, body));

  const authorize = (req: FastifyRequest) => {
    const header = req.headers.authorization ?? '';
    const given = createHash('sha256').update(header.startsWith('Bearer ') ? header.slice(7) : '').digest();
    if (!timingSafeEqual(given, expected)) throw new QtError('QT_ERR_SIGNER_UNAUTHORIZED');
  };
  const checkKey = async (q: { uri?: string; purpose?: string }): Promise<{ uri: string; purpose: SigningPurpose }> => {
    const purpose = q.purpose as SigningPurpose;
    if (!q.uri || !PURPOSES.includes(purpose)) throw new QtError('QT_ERR_INPUT_INVALID', `uri and purpose (${PURPOSES.join(', ')}) are required`);
    const db = opts.ctx.store.db;
    // The audit checkpoint key signs checkpoints and nothing else; CA and OCSP keys never sign checkpoints.
    if (purpose === 'audit-checkpoint') {
      const audit = await db.selectFrom('audit_keys').select('id').where('key_uri', '=', q.uri).where('status', '=', 'active').executeTakeFirst();
      if (!audit) throw new QtError('QT_ERR_SIGNING_REFUSED', 'This key is not the audit checkpoint key of the registry');
      return { uri: q.uri, purpose };
    }
    const tsa = await db.selectFrom('tsa_signers').select('id').where('key_uri', '=', q.uri).executeTakeFirst();
    if ((purpose === 'timestamp') !== (tsa !== undefined)) {
      throw new QtError('QT_ERR_SIGNING_REFUSED', purpose === 'timestamp' ? 'Only a TSA key of the registry signs time-stamps' : 'A TSA key signs time-stamps and nothing else');
    }
    if (tsa) return { uri: q.uri, purpose };
    const known =
      (await db.selectFrom('cas').select('id').where('key_uri', '=', q.uri).where('status', '<>', 'revoked').executeTakeFirst()) ??
      (await db.selectFrom('ocsp_signers').select('id').where('key_uri', '=', q.uri).executeTakeFirst());
    if (!known) throw new QtError('QT_ERR_SIGNING_REFUSED', 'This key is not a CA or OCSP key of the registry');
    return { uri: q.uri, purpose };
  };

  app.get('/internal/v1/public-key', async (req) => {
    authorize(req);
    const { uri, purpose } = await checkKey(req.query as { uri?: string; purpose?: string });
    const signer = await provider.signerFor(uri, purpose);
    return {
      publicKey: toBase64(signer.publicKey),
      algorithm: { oid: signer.algorithm.oid, parameters: signer.algorithm.parameters ? toBase64(signer.algorithm.parameters) : undefined },
    };
  });

  app.post('/internal/v1/sign', async (req) => {
    authorize(req);
    const { uri, purpose } = await checkKey(req.query as { uri?: string; purpose?: string });
    if (!(req.body instanceof Buffer) || req.body.length === 0) throw new QtError('QT_ERR_INPUT_INVALID', 'The body must be the bytes to sign (application/octet-stream)');
    const signer = await provider.signerFor(uri, purpose);
    const signature = await signer.sign(new Uint8Array(req.body));
    req.log.info({ purpose, keyUri: uri, tbsSha256: createHash('sha256').update(req.body).digest('hex') }, 'signed');
    return { signature: toBase64(signature) };
  });
}

