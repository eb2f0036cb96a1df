/**
 * «Мои ключи ЭЦП» tells the person what the expiry reminders will do (the registry's number, masked; the
 * e-mail; how many days before) and lets them choose the reminders' language — on both backends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueIin } from '../../ra/testing/fixture.ts';
import { describeEachBackend } from '../../store/testing/backends.ts';
import { createCitizen, registerPhones, type Citizen } from '../testing/citizens.ts';
import { portalHarness, type PortalHarness } from '../testing/harness.ts';

describeEachBackend('portal: expiry reminders on «Мои ключи ЭЦП»', (b) => {
  let h: PortalHarness;
  let aru: Citizen;
  let bolat: Citizen;

  test('setup: Aru has a confirmed number and an e-mail, Bolat neither', async () => {
    h = await portalHarness(b.store);
    aru = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'СЕРІКҚЫЗЫ', name: 'АРУ', email: 'aru@example.kz' });
    bolat = await createCitizen(h.deps.ra, { iin: uniqueIin(), surname: 'ОРАЗОВ', name: 'БОЛАТ' });
    await registerPhones(b.store, [{ iin: aru.iin, phone: '+77015550911' }]);
  });

  test('the page says where and when the reminders go, in the page’s language, without the whole number', async () => {
    const c = h.client();
    c.cookies.set('qt_lang', 'ru');
    await c.login(aru);
    const page = await c.get('/keys');
    assert.equal(page.status, 200);
    assert.match(page.body, /<h2 id="reminders-title">Напоминания об окончании срока<\/h2>/);
    assert.match(page.body, /SMS придёт за 10 дней до окончания срока ключа на номер \+7\*{6}0911 из базы мобильных граждан/);
    assert.doesNotMatch(page.body, /7015550911/);
    assert.match(page.body, /Письмо придёт за 30, 14 и 7 дней до окончания срока ключа на адрес aru@example\.kz/);
    assert.match(page.body, /value="kk\+ru" checked/, 'without a choice: both languages');
    assert.match(page.body, /Пока вы не выбрали, напоминания приходят на казахском и русском/);

    const other = h.client();
    other.cookies.set('qt_lang', 'kk');
    await other.login(bolat);
    const kk = (await other.get('/keys')).body;
    assert.match(kk, /Нөміріңіз мобильді азаматтар базасында жоқ/);
    assert.match(kk, /Электрондық пошта мекенжайыңыз бізде жоқ/);
  });

  test('choosing a language stores it for the notifier, audited; the same choice again changes nothing', async () => {
    const c = h.client();
    c.cookies.set('qt_lang', 'ru');
    await c.login(aru);
    const saved = await c.postForm('/keys/reminders', { language: 'ru' });
    assert.equal(saved.status, 303);
    assert.equal(saved.headers.location, '/keys?saved=reminders#reminders');
    const page = (await c.get('/keys?saved=reminders')).body;
    assert.match(page, /Язык напоминаний сохранён/);
    assert.match(page, /value="ru" checked/);
    assert.doesNotMatch(page, /Пока вы не выбрали/);
    const row = await b.store.db.selectFrom('notify_preferences').select('language').where('iin', '=', aru.iin).executeTakeFirstOrThrow();
    assert.equal(row.language, 'ru');
    await c.postForm('/keys/reminders', { language: 'ru' });
    await c.postForm('/keys/reminders', { language: 'kk' });
    const audit = await b.store.db.selectFrom('audit_log').select(['actor', 'target', 'details']).where('action', '=', 'notify.language-set').where('target', '=', `subject:${aru.iin}`).orderBy('seq').execute();
    assert.deepEqual(
      audit.map((a) => [a.actor, (a.details as { language: string; before: string | null }).language, (a.details as { before: string | null }).before]),
      [[`citizen:${aru.iin}`, 'ru', null], [`citizen:${aru.iin}`, 'kk', 'ru']],
    );
  });

  test('refusals: an unknown language, no CSRF token, no session — nothing is stored', async () => {
    const c = h.client();
    await c.login(bolat);
    const bad = await c.postForm('/keys/reminders', { language: 'de' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /QT_ERR_INPUT_INVALID/);
    assert.equal((await c.postForm('/keys/reminders', { language: 'ru' }, { csrf: null })).status, 403);
    const stranger = h.client();
    await stranger.get('/login');
    const anonymous = await stranger.postForm('/keys/reminders', { language: 'ru' });
    assert.equal(anonymous.status, 303);
    assert.match(String(anonymous.headers.location), /^\/login/, 'signing in comes first');
    assert.equal(await b.store.db.selectFrom('notify_preferences').select('iin').where('iin', '=', bolat.iin).executeTakeFirst(), undefined);
  });

  test('cleanup', async () => {
    await h.close();
  });
});
