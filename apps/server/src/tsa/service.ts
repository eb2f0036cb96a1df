/**
 * The time-stamping authority: from the request bytes to a TimeStampResp, for the TSA of one issuing CA.
 * Every outcome is a TimeStampResp (tsaRefusalReply maps our codes to PKIFailureInfo): nothing a client
 * sends produces an exception, a 5xx or a half-written record — nothing is stored per stamp at all; the
 * tally (tally.ts) is the record, and serials are unique by construction (serials.ts).
 *
 * Order of checks, cheapest first: capacity (a flood is refused before it costs parsing), which TSA, the
 * request (badDataFormat, badRequest, badAlg, unacceptedExtension), the policy, the clock
 * (timeNotAvailable), then the signature. The TSA key is reached only through the signer ('timestamp').
 */
import { isQtError, prepareTimeStamping, readTimeStampRequest, tsaRefusalReply, verifyCms, type Bytes, type QtErrorCode, type TimeStamper } from '@qoltanba/pki';
import type { ServerContext } from '../context.ts';
import { ClockGuard } from './clock.ts';
import type { ResolvedTsaOptions } from './options.ts';
import { SerialSource } from './serials.ts';
import { StampTally } from './tally.ts';

/** MessageImprint { sha256, 32 zero bytes }: what the first stamp of a TSA key covers, to check the key signs as its certificate says. */
const PROBE_IMPRINT = Uint8Array.from([
  0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20, ...new Uint8Array(32),
]);

export interface TsaAnswer {
  /** HTTP status: 200 for every PKIStatus, except 404 (no such TSA), 413 (oversize) and 429 (busy). */
  httpStatus: number;
  der: Bytes;
  outcome: 'granted' | QtErrorCode;
}

export interface TsaEntry {
  /** The issuing CA's name: /tsp/<name>. */
  name: string;
  certificate: Uint8Array;
  caCertificate: Uint8Array;
  keyUri: string;
  notBefore: Date;
  notAfter: Date;
}

export interface TsaService {
  readonly options: ResolvedTsaOptions;
  readonly clock: ClockGuard;
  readonly tally: StampTally;
  /** The TSAs this service stamps for, the default first. */
  list(): Promise<TsaEntry[]>;
  answer(body: Uint8Array | undefined, tsaName?: string): Promise<TsaAnswer>;
  /** A refusal for a request that never reached `answer` (too large, unreadable). */
  refuse(code: QtErrorCode, message: string): TsaAnswer;
  stop(): Promise<void>;
}

const HTTP_STATUS: Partial<Record<QtErrorCode, number>> = { QT_ERR_TOO_LARGE: 413, QT_ERR_TSA_BUSY: 429, QT_ERR_NOT_FOUND: 404 };

export async function createTsaService(ctx: ServerContext, options: ResolvedTsaOptions): Promise<TsaService> {
  const db = ctx.store.db;
  const serials = await SerialSource.open(db);
  const tally = new StampTally(db, { serialPrefix: serials.prefix, samples: options.auditSamples, now: () => ctx.now() });
  const clock = new ClockGuard(db, {
    maxDriftMs: options.maxClockDriftMs,
    checkEveryMs: options.clockCheckMs,
    now: () => ctx.now(),
    onChange: (r) => (r.trusted ? ctx.log.info(`tsa: clock trusted again (offset ${Math.round(r.offsetMs)} ms)`) : ctx.log.error(`tsa: refusing to stamp: ${r.reason}`)),
  });
  const stampers = new Map<string, Promise<TimeStamper>>();
  let entries: Promise<TsaEntry[]> | undefined;
  let loadedAt = 0;
  let inFlight = 0;

  const load = async (): Promise<TsaEntry[]> => {
    const rows = await db
      .selectFrom('tsa_signers')
      .innerJoin('cas', 'cas.id', 'tsa_signers.ca_id')
      .select(['cas.name', 'cas.certificate as ca_certificate', 'tsa_signers.certificate', 'tsa_signers.key_uri', 'tsa_signers.not_before', 'tsa_signers.not_after'])
      .where('tsa_signers.status', '=', 'active')
      .where('cas.status', '<>', 'revoked')
      .orderBy('cas.id')
      .execute();
    const list = rows.map((r) => ({
      name: r.name,
      certificate: new Uint8Array(r.certificate),
      caCertificate: new Uint8Array(r.ca_certificate),
      keyUri: r.key_uri,
      notBefore: new Date(r.not_before),
      notAfter: new Date(r.not_after),
    }));
    const preferred = list.findIndex((t) => t.name === options.default);
    if (preferred > 0) list.unshift(...list.splice(preferred, 1));
    return list;
  };
  // Read once a minute, and at most every 5 s when a request names a TSA we do not know (a new ceremony).
  const list = async (reloadForMiss = false): Promise<TsaEntry[]> => {
    const age = Date.now() - loadedAt;
    if (!entries || age > 60_000 || (reloadForMiss && age > 5_000)) {
      loadedAt = Date.now();
      const next = load();
      next.catch(() => (loadedAt = 0));
      entries = next;
    }
    return entries;
  };

  const stamperFor = (tsa: TsaEntry): Promise<TimeStamper> => {
    const key = `${tsa.keyUri} ${tsa.notBefore.getTime()}`;
    let stamper = stampers.get(key);
    if (!stamper) {
      stamper = (async () => {
        const signer = await ctx.signers.signerFor(tsa.keyUri, 'timestamp');
        const prepared = prepareTimeStamping({ certificate: tsa.certificate, chain: [tsa.caCertificate], signer });
        // A key that signs something else than its certificate says (a misconfigured token slot) issues nothing.
        const probe = await prepared.stamp({ messageImprintDer: PROBE_IMPRINT, policy: options.policy, serial: Uint8Array.of(0), genTime: ctx.now(), certReq: true });
        await verifyCms(probe.token);
        return prepared;
      })();
      stamper.catch(() => stampers.delete(key));
      stampers.set(key, stamper);
    }
    return stamper;
  };

  const refuse = (code: QtErrorCode, message: string): TsaAnswer => {
    tally.refused(code);
    return { httpStatus: HTTP_STATUS[code] ?? 200, der: tsaRefusalReply(code, message), outcome: code };
  };

  const answer = async (body: Uint8Array | undefined, tsaName?: string): Promise<TsaAnswer> => {
    if (inFlight >= options.maxInFlight) return refuse('QT_ERR_TSA_BUSY', `${inFlight} time-stamps are being signed; try again shortly`);
    inFlight++;
    try {
      return await stampOrRefuse(body, tsaName);
    } finally {
      inFlight--;
    }
  };

  const stampOrRefuse = async (body: Uint8Array | undefined, tsaName: string | undefined): Promise<TsaAnswer> => {
    let tsa: TsaEntry | undefined;
    try {
      const all = await list();
      tsa = tsaName === undefined ? all[0] : (all.find((t) => t.name === tsaName) ?? (await list(true)).find((t) => t.name === tsaName));
      if (!tsa) {
        return tsaName === undefined
          ? refuse('QT_ERR_TSA_UNAVAILABLE', 'no time-stamping authority is set up (ceremony.json issuing[].tsa, then qoltanba ca init)')
          : refuse('QT_ERR_NOT_FOUND', `no time-stamping authority is served at /tsp/${tsaName.slice(0, 64)}`);
      }
      if (!body || body.length === 0) return refuse('QT_ERR_TSP_REQUEST_MALFORMED', 'the request body is empty; a DER TimeStampReq was expected');
      const request = readTimeStampRequest(body, { acceptedHashes: options.hashAlgorithms });
      const policy = request.policy ?? options.policy;
      if (!options.policies.has(policy)) {
        return refuse('QT_ERR_TSP_POLICY_UNACCEPTED', `this authority stamps under ${[...options.policies].join(', ')}, not ${policy}`);
      }
      const distrust = clock.distrust();
      if (distrust) return refuse('QT_ERR_TSA_CLOCK_UNTRUSTED', distrust);
      const genTime = ctx.now();
      if (genTime < tsa.notBefore || genTime > tsa.notAfter) return refuse('QT_ERR_TSA_UNAVAILABLE', `the TSA certificate of ${tsa.name} is not valid now`);
      const stamper = await stamperFor(tsa);
      const serial = serials.next();
      const issued = await stamper.stamp({
        messageImprintDer: request.messageImprintDer,
        policy,
        serial: serial.bytes,
        genTime,
        accuracyMicros: options.accuracyMs * 1000,
        nonce: request.nonce,
        certReq: request.certReq,
      });
      tally.granted({ tsa: tsa.name, serial: serial.hex, genTime, policy, hashAlgorithm: request.hashOid, imprint: request.imprint });
      return { httpStatus: 200, der: issued.reply, outcome: 'granted' };
    } catch (e) {
      if (isQtError(e) && (e.code.startsWith('QT_ERR_TSP_') || e.code === 'QT_ERR_TOO_LARGE')) return refuse(e.code, e.message);
      // Ours, not the client's: the signer, the store. Said plainly to the client, in full to the log.
      ctx.log.error({ err: e, tsa: tsa?.name }, 'tsa: could not stamp');
      return refuse('QT_ERR_TSA_UNAVAILABLE', isQtError(e) ? e.message : 'the time-stamp could not be signed');
    }
  };

  await clock.check();
  clock.start();
  const flush = () => tally.flush().catch((err: unknown) => ctx.log.error({ err }, 'tsa: the stamp tally could not be written to the audit log; kept for the next period'));
  const timer = setInterval(() => void flush(), options.auditEveryMs);
  timer.unref();

  return {
    options,
    clock,
    tally,
    list: () => list(),
    answer,
    refuse,
    async stop() {
      clearInterval(timer);
      await clock.stop();
      await flush();
    },
  };
}
