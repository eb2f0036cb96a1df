/**
 * The re-issuance wizard at the HTTP level on both backends, driven like the page's scripts drive it, with
 * two people: the whole way for one (signed application, SMS code from the sink, CSRs from new keys, two
 * certificates from the RA, installation report, revocation of the old keys confirmed by signing), and for
 * the other every way of reaching the first one's data refused as "not found"; then the SMS code's limits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOcspRequest, generateRsaKeyPair, inspectCertificate, parseOcspResponse } from '@qoltanba/pki';
import { uniqueIin } from '../../ra/testing/fixture.ts';
import { revoke } from '../../ra/index.ts';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { portalDb } from '../tables.ts';
import { createCitizen, newCsr, registerPhones, signAs, type Citizen } from '../testing/citizens.ts';
import { portalHarness, type PortalClient, type PortalHarness } from '../testing/harness.ts';

const MINUTE = 60_000;

describeEachBackend('portal re-issuance wizard', (b) => {
  let h: PortalHarness;
  let aigerim: Citizen;
  let bolat: Citizen;
  let a: PortalClient;
  let bc: PortalClient;
  let appId: string;
  let newSign: { keys: CryptoKeyPair; pem: string };
  const phones = { aigerim: '+77015550167', bolat: '+77055550123' };

  async function startApplication(c: PortalClient, fields: Record<string, string> = { email: 'a.nurlanova@mail.kz', storage: 'file', revokeOld: 'yes' }): Promise<string> {
    const res = await c.postForm('/reissue', fields);
    assert.equal(res.status, 303, res.body);
    const id = /^\/applications\/([0-9a-f-]{36})$/.exec(String(res.headers.location))?.[1];
    assert.ok(id, String(res.headers.location));
    return id;
  }

  async function signApplication(c: PortalClient, who: Citizen, id: string) {
    await c.get(`/applications/${id}`);
    const ch = (await c.postJson(`/applications/${id}/challenge`, {})).json<{ id: string; content: string }>();
    return c.postJson(`/applications/${id}/signature`, { challengeId: ch.id, cms: await signAs(who.sign, ch.content) });
  }

  const codeIn = (text: string) => /Код: (\d{6})/.exec(text)?.[1] ?? /Code: (\d{6})/.exec(text)?.[1] ?? /Код: (\d{6})/.exec(text)?.[1];

  test('setup: two people with valid keys, their phones in the mobile-citizens registry', async () => {
    h = await portalHarness(b.store, { otp: { resendAfterSeconds: 60 } });
    aigerim = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'НУРЛАНОВА', name: 'АЙГЕРИМ' });
    bolat = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ЖАҚСЫБЕКОВ', name: 'БОЛАТ' });
    await registerPhones(b.store, [
      { iin: aigerim.iin, phone: phones.aigerim },
      { iin: bolat.iin, phone: phones.bolat },
    ]);
    a = h.client();
    a.cookies.set('qt_lang', 'ru');
    bc = h.client();
    bc.cookies.set('qt_lang', 'ru');
    assert.equal((await a.login(aigerim)).status, 200);
    assert.equal((await bc.login(bolat)).status, 200);
  });

  test('the form shows name and IIN from the current certificate, not as inputs; «Подать заявку» creates the application', async () => {
    const form = await a.get('/reissue');
    assert.equal(form.status, 200);
    assert.match(form.body, /<dd id="fixed-name">НУРЛАНОВА АЙГЕРИМ<\/dd>/);
    assert.match(form.body, new RegExp(`<dd id="fixed-iin">${aigerim.iin}</dd>`));
    assert.doesNotMatch(form.body, /name="(iin|name|surname)"/);
    assert.match(form.body, /Подать заявку/);
    assert.match(form.body, /латинские буквы нижнего и верхнего регистров/);
    appId = await startApplication(a);
    // A second submit lands on the same open application.
    assert.equal(await startApplication(a), appId);
    const page = await a.get(`/applications/${appId}`);
    assert.match(page.body, /id="sign-application"/);
    assert.match(page.body, /aria-current="step"[^>]*>Подписание заявки/);
  });

  test('the application is signed with the SIGN key (not the AUTH key), and the SMS code goes to the registry phone', async () => {
    await a.get(`/applications/${appId}`);
    const ch1 = (await a.postJson(`/applications/${appId}/challenge`, {})).json<{ id: string; content: string }>();
    assert.match(ch1.content, new RegExp(`Номер: ${appId}`));
    assert.match(ch1.content, new RegExp(`ИИН: ${aigerim.iin}`));
    assert.match(ch1.content, /Хранилище ключей: компьютер/);
    const withAuth = await a.postJson(`/applications/${appId}/signature`, { challengeId: ch1.id, cms: await signAs(aigerim.auth, ch1.content) });
    assert.equal(withAuth.json<{ error: { code: string } }>().error.code, 'QT_ERR_KEY_USAGE');
    // Bolat's key over Aigerim's application is refused (the challenge is hers, the signer is not).
    const ch2 = (await a.postJson(`/applications/${appId}/challenge`, {})).json<{ id: string; content: string }>();
    const foreign = await a.postJson(`/applications/${appId}/signature`, { challengeId: ch2.id, cms: await signAs(bolat.sign, ch2.content) });
    assert.equal(foreign.json<{ error: { code: string } }>().error.code, 'QT_ERR_SIGNER_NOT_ALLOWED');
    const since = new Date();
    const ok = await signApplication(a, aigerim, appId);
    assert.equal(ok.status, 200, ok.body);
    const sms = await h.sms.waitFor(phones.aigerim, { since });
    assert.ok(codeIn(sms.text), sms.text);
    const page = await a.get(`/applications/${appId}`);
    assert.match(page.body, /\+7\*{6}0167/);
    assert.match(page.body, /Код действует 5 минут/);
    const stored = await portalDb(b.store.db).selectFrom('portal_reissues').select(['signed_cms', 'signer_certificate_id']).where('application_id', '=', appId).executeTakeFirstOrThrow();
    assert.equal(stored.signer_certificate_id, aigerim.sign.record.id);
    assert.ok(stored.signed_cms && stored.signed_cms.length > 500);
  });

  test('another person can neither see nor act on the application, certificates or revocation', async () => {
    const notFound = await bc.get(`/applications/${appId}`);
    assert.equal(notFound.status, 404);
    assert.match(notFound.body, /не найдены — или они принадлежат не вам/);
    for (const path of ['challenge', 'signature', 'keys', 'installed']) {
      const res = await bc.postJson(`/applications/${appId}/${path}`, { challengeId: '00000000-0000-0000-0000-000000000000', cms: 'x', requestId: 'abc', keys: [], installed: [] });
      assert.equal(res.status, 404, `${path}: ${res.body}`);
    }
    for (const path of ['code', 'code/resend', 'cancel']) {
      assert.equal((await bc.postForm(`/applications/${appId}/${path}`, { code: '123456' })).status, 404, path);
    }
    const cert = aigerim.auth.record;
    assert.equal((await bc.get(`/keys/${cert.ca}/${cert.serial}/certificate`)).status, 404);
    assert.equal((await bc.postJson('/revoke/challenge', { targets: [`${cert.ca}/${cert.serial}`], reason: 'unspecified' })).status, 404);
    assert.equal((await bc.get(`/revoke?application=${appId}`)).status, 404);
    const list = await bc.get('/keys');
    assert.doesNotMatch(list.body, new RegExp(cert.serial.toUpperCase()));
    assert.doesNotMatch((await bc.get('/keys/export.csv')).body, new RegExp(cert.serial));
    assert.doesNotMatch((await bc.get('/keys/export.pem')).body, new RegExp(cert.serial));
    // And the application is untouched.
    assert.match((await a.get(`/applications/${appId}`)).body, /SMS-код/);
  });

  test('a wrong code says how many attempts are left; the right one confirms and approves', async () => {
    const wrong = await a.postForm(`/applications/${appId}/code`, { code: '000000' === codeIn(h.sms.last(phones.aigerim)!.text) ? '111111' : '000000' });
    assert.equal(wrong.status, 422);
    assert.match(wrong.body, /Код неверный\. Осталось 4 попытки\./);
    const code = codeIn(h.sms.last(phones.aigerim)!.text)!;
    const right = await a.postForm(`/applications/${appId}/code`, { code });
    assert.equal(right.status, 303);
    const page = await a.get(`/applications/${appId}`);
    assert.match(page.body, /id="create-keys"/);
    const app = await b.store.db.selectFrom('applications').select(['state']).where('id', '=', appId).executeTakeFirstOrThrow();
    assert.equal(app.state, 'approved');
    const audit = await b.store.db.selectFrom('audit_log').select(['action', 'details']).where('target', '=', `application:${appId}`).orderBy('seq').execute();
    assert.deepEqual(audit.map((x) => x.action).filter((x) => x.startsWith('application.')), ['application.submitted', 'application.signed', 'application.verified', 'application.approved']);
    assert.ok(!JSON.stringify(audit).includes(code), 'the code is never in the audit log');
  });

  test('the agent’s CSRs become two certificates with the current name, profiles, e-mail and storage; a retry gets the same ones', async () => {
    const authKeys = await generateRsaKeyPair(2048);
    const signKeys = await generateRsaKeyPair(2048);
    const body = { requestId: 'uPwruSPJHEwNSEsJ-o16QA', keys: [{ keyType: 'AUTHENTICATION', csr: await newCsr(authKeys) }, { keyType: 'SIGNATURE', csr: await newCsr(signKeys) }] };
    const res = await a.postJson(`/applications/${appId}/keys`, body);
    assert.equal(res.status, 200, res.body);
    const issued = res.json<{ requestId: string; certificates: string[]; chain: string[] }>();
    assert.equal(issued.certificates.length, 2);
    const [auth, sign] = issued.certificates.map((p) => inspectCertificate(p));
    assert.equal(auth!.kind, 'AUTH');
    assert.equal(sign!.kind, 'SIGN');
    for (const c of [auth!, sign!]) {
      assert.equal(c.kz.iin, aigerim.iin);
      assert.equal(c.kz.surname, 'НУРЛАНОВА');
      assert.deepEqual(c.emails, ['a.nurlanova@mail.kz']);
    }
    const again = await a.postJson(`/applications/${appId}/keys`, body);
    assert.deepEqual(again.json(), issued);
    const rows = await b.store.db.selectFrom('certificates').select(['kind', 'application_id', 'profile']).where('application_id', '=', appId).execute();
    assert.deepEqual(rows.map((r) => `${r.kind}:${r.profile}`).sort(), ['AUTH:individual-auth', 'SIGN:individual-sign']);
    const app = await b.store.db.selectFrom('applications').select(['state']).where('id', '=', appId).executeTakeFirstOrThrow();
    assert.equal(app.state, 'completed');
    const page = await a.get(`/applications/${appId}`);
    assert.match(page.body, /id="install"/);
    assert.match(page.body, /Загрузить сертификаты/);
    newSign = { keys: signKeys, pem: issued.certificates[1]! };
    // The agent reports the files it wrote.
    const installed = await a.postJson(`/applications/${appId}/installed`, {
      installed: [
        { keyType: 'AUTHENTICATION', fileName: `AUTH_RSA256_${auth!.subjectKeyId}.p12`, subjectKeyId: auth!.subjectKeyId },
        { keyType: 'SIGNATURE', fileName: `RSA256_${sign!.subjectKeyId}.p12`, subjectKeyId: sign!.subjectKeyId },
      ],
    });
    assert.equal(installed.status, 200, installed.body);
    const done = await a.get(`/applications/${appId}`);
    assert.match(done.body, /Новые ключи установлены/);
    assert.match(done.body, new RegExp(`RSA256_${sign!.subjectKeyId}\\.p12`));
    assert.match(done.body, /href="\/revoke\?application=/);
    const keys = await a.get('/keys');
    assert.equal((keys.body.match(/<tr class="status-good"/g) ?? []).length, 4, 'old and new keys are listed, all valid');
  });

  test('revoking the old keys: preselected, confirmed by signing, OCSP says revoked at once', async () => {
    const form = await a.get(`/revoke?application=${appId}`);
    for (const c of [aigerim.auth.record, aigerim.sign.record]) assert.match(form.body, new RegExp(`value="${c.ca}/${c.serial}" checked`));
    assert.match(form.body, /<option value="superseded" selected>/);
    const targets = [aigerim.auth.record, aigerim.sign.record].map((c) => `${c.ca}/${c.serial}`);
    const ch = (await a.postJson('/revoke/challenge', { targets, reason: 'superseded' })).json<{ id: string; content: string }>();
    assert.match(ch.content, /Причина: Ключи заменены новыми/);
    const newSignKey = { record: { ...aigerim.sign.record, der: Buffer.from(inspectCertificate(newSign.pem).der) }, keys: newSign.keys, fileName: '' };
    const res = await a.postJson('/revoke', { challengeId: ch.id, cms: await signAs(newSignKey, ch.content), applicationId: appId });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(res.json(), { redirect: `/applications/${appId}` });
    assert.match((await a.get(`/applications/${appId}`)).body, /Старые ключи отозваны/);
    for (const c of [aigerim.auth.record, aigerim.sign.record]) {
      const issuer = await b.store.db.selectFrom('cas').select('certificate').where('name', '=', c.ca).executeTakeFirstOrThrow();
      const answer = await h.deps.status.responder.answer(await buildOcspRequest(c.der, issuer.certificate));
      const single = parseOcspResponse(answer.der).basic?.responses[0];
      assert.equal(single?.status, 'revoked');
    }
    const apps = await b.store.db.selectFrom('applications').select(['state']).where('iin', '=', aigerim.iin).where('kind', '=', 'revoke').execute();
    assert.deepEqual(apps.map((x) => x.state), ['completed', 'completed']);
    // The old AUTH key cannot sign in any more.
    const again = h.client();
    assert.equal((await again.login(aigerim)).json<{ error: { code: string } }>().error.code, 'QT_ERR_CERT_REVOKED');
  });

  test('five wrong codes refuse the application; the page says why and offers a new one', async () => {
    const id = await startApplication(bc, { email: '', storage: 'file' });
    assert.equal((await signApplication(bc, bolat, id)).status, 200);
    const code = codeIn(h.sms.last(phones.bolat)!.text)!;
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 1; i <= 4; i++) {
      const res = await bc.postForm(`/applications/${id}/code`, { code: wrong });
      assert.equal(res.status, 422);
    }
    const fifth = await bc.postForm(`/applications/${id}/code`, { code: wrong });
    assert.equal(fifth.status, 422);
    assert.match(fifth.body, /введён неверно слишком много раз/);
    const right = await bc.postForm(`/applications/${id}/code`, { code });
    assert.equal(right.status, 409, 'the right code is too late now');
    const app = await b.store.db.selectFrom('applications').select(['state', 'decision_reason']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(app, { state: 'rejected', decision_reason: 'otp-attempts' });
    const page = await bc.get(`/applications/${id}`);
    assert.match(page.body, /Заявка отклонена/);
    assert.match(page.body, /href="\/reissue"/);
  });

  test('codes: a resend waits a minute, at most three per application, and a code lasts five minutes', async () => {
    const id = await startApplication(bc, { email: '', storage: 'token' });
    assert.equal((await signApplication(bc, bolat, id)).status, 200);
    const soon = await bc.postForm(`/applications/${id}/code/resend`, {});
    assert.equal(soon.status, 429);
    assert.match(soon.body, /Новый код можно запросить чуть позже/);
    h.clock.advance(61_000);
    try {
      assert.equal((await bc.postForm(`/applications/${id}/code/resend`, {})).status, 200);
      h.clock.advance(61_000);
      const third = await bc.postForm(`/applications/${id}/code/resend`, {});
      assert.equal(third.status, 200);
      assert.doesNotMatch(third.body, /code\/resend/, 'no more resend button after the third code');
      h.clock.advance(61_000);
      const fourth = await bc.postForm(`/applications/${id}/code/resend`, {});
      assert.equal(fourth.status, 429);
      assert.match(fourth.body, /Больше кодов сейчас отправить нельзя/);
      const code = codeIn(h.sms.last(phones.bolat)!.text)!;
      h.clock.advance(5 * MINUTE);
      const late = await bc.postForm(`/applications/${id}/code`, { code });
      assert.equal(late.status, 422);
      assert.match(late.body, /Срок действия кода истёк/);
    } finally {
      h.clock.reset();
    }
    await bc.postForm(`/applications/${id}/cancel`, {});
    const app = await b.store.db.selectFrom('applications').select('state').where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(app.state, 'cancelled');
  });

  test('without a number in the registry the code cannot be sent, and the page says how to fix it', async () => {
    const dana = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ДАНА', name: 'ТЕЛЕФОНСЫЗ' });
    const c = h.client();
    c.cookies.set('qt_lang', 'en');
    await c.login(dana);
    const id = await startApplication(c, { email: '', storage: 'file' });
    assert.equal((await signApplication(c, dana, id)).status, 200);
    const page = await c.get(`/applications/${id}`);
    assert.match(page.body, /Your number is not in the Mobile citizens database/);
    assert.match(page.body, /QT_ERR_PHONE_NOT_REGISTERED/);
  });

  test('with the current keys revoked, re-issuance is refused and remote issuance is offered', async () => {
    const erlan = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ЕРЛАН', name: 'ҚАЙТАРУ' });
    const c = h.client();
    c.cookies.set('qt_lang', 'kk');
    await c.login(erlan);
    await revoke(h.deps.ra, { ca: erlan.sign.record.ca, serial: erlan.sign.record.serial, reason: 'keyCompromise', actor: 'operator:test' });
    const page = await c.get('/reissue');
    assert.match(page.body, /Қайта шығару қолжетімсіз/);
    assert.match(page.body, /href="\/help\/remote"/);
    assert.equal((await c.postForm('/reissue', { storage: 'file' })).status, 422);
  });

  test('cleanup', async () => {
    await h.close();
  });
});
