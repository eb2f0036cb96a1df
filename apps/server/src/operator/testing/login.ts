/** TEST SUPPORT ONLY: an operator signing in to the console through HTTP, as login.js does it. */
import type { Answer, PortalClient } from '../../portal/testing/harness.ts';
import { signAs, type CitizenKey } from '../../portal/testing/citizens.ts';

export async function operatorLogin(c: PortalClient, key: CitizenKey, signingTime?: Date): Promise<Answer> {
  await c.get('/operator/login');
  const ch = (await c.postJson('/operator/login/challenge', {})).json<{ id: string; content: string }>();
  const res = await c.postJson('/operator/login', { challengeId: ch.id, cms: await signAs(key, ch.content, signingTime) });
  if (res.status === 200) await c.get('/operator');
  return res;
}
