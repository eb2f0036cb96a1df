/**
 * TEST SUPPORT ONLY: our own CA on a test database (caFixture: ceremony, RA, status service) served over
 * real HTTP together with the verification service, exactly as `up` wires them — OCSP and CRLs answered by
 * the status routes at the URLs the issued certificates carry. The server sits behind a small front on an
 * ephemeral port, chosen before the ceremony so the certificates name it, which can also take parts of the
 * CA "down" (connection reset), answer with an error, or stream a body without end — the failures a
 * verifier meets on the internet, made by the network, not by the code under test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../../http/app.ts';
import { caFixture, uniqueIin, type CaFixture, type CaFixtureOptions } from '../../ra/testing/fixture.ts';
import { opensslCsr } from '../../ra/testing/openssl.ts';
import { issue, revoke, type RevocationReason } from '../../ra/index.ts';
import { statusRoutes } from '../../status/index.ts';
import type { Store } from '../../store/index.ts';
import { verifyFeature } from '../feature.ts';
import { ncanodeRoutes } from '../ncanode/routes.ts';
import { resolveVerifyOptions, type VerifyOptions } from '../options.ts';
import { verifyRoutes } from '../routes.ts';
import { createVerifyService, type VerifyService } from '../service.ts';
import { trustStoreLoader } from '../trust.ts';

/** What the front does with requests whose path starts with a prefix. */
export type Outage = { kind: 'reset' } | { kind: 'status'; status: number } | { kind: 'endless' } | { kind: 'declared'; bytes: number };

export interface Front {
  url: string;
  /** Requests seen per path (query dropped), including those an outage answered. */
  hits: Map<string, number>;
  fail(prefix: string, outage: Outage): void;
  heal(): void;
  /** Sends everything else here. */
  target: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
  close(): Promise<void>;
}

export async function startFront(): Promise<Front> {
  const outages = new Map<string, Outage>();
  const hits = new Map<string, number>();
  const front: Front = {
    url: '',
    hits,
    fail: (prefix, outage) => void outages.set(prefix, outage),
    heal: () => outages.clear(),
    target: undefined,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const outage = [...outages].find(([prefix]) => path.startsWith(prefix))?.[1];
    if (!outage) {
      if (front.target) front.target(req, res);
      else res.writeHead(503).end();
      return;
    }
    if (outage.kind === 'reset') req.socket.destroy();
    else if (outage.kind === 'status') res.writeHead(outage.status).end();
    else if (outage.kind === 'declared') res.writeHead(200, { 'content-length': String(outage.bytes) }).end();
    else {
      // A body without end, 64 KiB at a time, until the client hangs up.
      res.writeHead(200, { 'content-type': 'application/pkix-crl' });
      const chunk = Buffer.alloc(64 * 1024, 0x30);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => res.destroy());
      pump();
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  front.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return front;
}

export interface IssuedPerson {
  serial: string;
  certificatePem: string;
  keyPem: string;
  iin: string;
}

export interface VerifyHarness {
  fx: CaFixture;
  front: Front;
  app: FastifyInstance;
  /** The server's address (the front), the one in the certificates' AIA and CRL distribution points. */
  url: string;
  service: VerifyService;
  /** Issues an individual SIGN certificate for a fresh RSA key (openssl makes the key and CSR). */
  issuePerson(profile?: 'individual-sign' | 'individual-auth'): Promise<IssuedPerson>;
  revoke(serial: string, reason?: RevocationReason): Promise<void>;
  /** Publishes fresh full CRLs of every CA with an online key (root included). */
  publishCrls(): Promise<void>;
  close(): Promise<void>;
}

export interface VerifyHarnessOptions extends Pick<CaFixtureOptions, 'ceremony'> {
  verify?: VerifyOptions;
}

export async function startVerifyHarness(store: Store, options: VerifyHarnessOptions = {}): Promise<VerifyHarness> {
  const front = await startFront();
  let fx: CaFixture | undefined;
  try {
    fx = await caFixture(store, { config: (c) => void (c.publicUrl = front.url), ceremony: options.ceremony });
    const app = createHttpApp({ bodyLimit: fx.ctx.config.limits.bodyBytes });
    await app.register(statusRoutes, { service: fx.status });
    let service: VerifyService | undefined;
    const stop = await verifyFeature({ options: options.verify, onService: (s) => void (service = s) }).start(app, fx.ctx);
    await app.ready();
    front.target = (req, res) => app.server.emit('request', req, res);
    const own = fx;
    const harness: VerifyHarness = {
      fx: own,
      front,
      app,
      url: front.url,
      service: service as VerifyService,
      async issuePerson(profile = 'individual-sign') {
        const csr = await opensslCsr();
        const iin = uniqueIin();
        const { certificate } = await issue(own.ra, {
          csr: csr.pem,
          profile,
          subject: { surname: 'ТЕСТОВА', name: 'АЙГЕРІМ', iin },
          storage: 'file',
          idempotencyKey: randomUUID(),
          actor: 'operator:verify-test',
        });
        return { serial: certificate.serial, certificatePem: certificate.pem, keyPem: csr.keyPem, iin };
      },
      async revoke(serial, reason = 'keyCompromise') {
        await revoke(own.ra, { ca: own.caName, serial, reason, actor: 'operator:verify-test' });
      },
      async publishCrls() {
        for (const ca of await own.status.directory.all()) if (ca.keyUri) await own.status.generateCrl(ca.id, 'full');
      },
      async close() {
        await app.close();
        await stop();
        await own.close();
        await front.close();
      },
    };
    await harness.publishCrls();
    return harness;
  } catch (e) {
    await fx?.close();
    await front.close();
    throw e;
  }
}

/**
 * The verification service alone (no CA, no database) on an app for inject(): for trust that needs no
 * local CA, e.g. the nca-test preset with NCA's artefacts behind a mirror.
 */
export async function verifyApp(options: VerifyOptions, now: () => Date = () => new Date()): Promise<{ app: FastifyInstance; service: VerifyService; close(): Promise<void> }> {
  const resolved = resolveVerifyOptions(options);
  if (resolved.trust.presets.includes('local')) throw new Error('verifyApp has no local CA; use startVerifyHarness');
  const service = createVerifyService(resolved, trustStoreLoader(resolved.trust, async () => ({ anchors: [], intermediates: [] })), now);
  const app = createHttpApp({ bodyLimit: 1 << 20 });
  await app.register(verifyRoutes, { service, serverUrl: 'http://127.0.0.1', version: 'test' });
  await app.register(ncanodeRoutes, { service });
  await app.ready();
  return { app, service, close: () => app.close() };
}
