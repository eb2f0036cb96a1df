/** doctor's TSA check: a real stamp over random bytes, checked like the agent checks every stamp it embeds. */
import { randomBytes } from 'node:crypto';
import { httpTsaTransport, isQtError, obtainTimeStamp, verifyTimeStampToken } from '@qoltanba/pki';

export interface TsaProbe {
  ok: boolean;
  ms?: number;
  reason?: string;
}

export async function probeTsa(url: string): Promise<TsaProbe> {
  const started = performance.now();
  try {
    const data = randomBytes(32);
    const { token } = await obtainTimeStamp(httpTsaTransport(url, { timeoutMs: 10_000 }), { data, hash: 'SHA-256' });
    await verifyTimeStampToken(token, { data });
    return { ok: true, ms: performance.now() - started };
  } catch (e) {
    return { ok: false, reason: isQtError(e) ? e.message : (e as Error).message };
  }
}
