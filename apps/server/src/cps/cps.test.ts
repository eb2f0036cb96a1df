/**
 * /cps on both backends: public, in the visitor's language (kk/ru/en), built from the installation's own facts
 * (its issuing CA and addresses under the public URL, the profiles' validity, the CRL schedule) and the
 * contacts in server.json "cps" — which are escaped like everything else on the page.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertCatalogComplete } from '@qoltanba/i18n/testing';
import { portalHarness, type PortalHarness } from '../portal/testing/harness.ts';
import { describeEachBackend } from '../store/testing/backends.ts';
import { cpsPage } from './feature.ts';
import { cpsMessages } from './messages.ts';

test('every /cps message exists in kk, ru and en with the same placeholders', () => {
  assertCatalogComplete(cpsMessages);
});

describeEachBackend('/cps', (b) => {
  let h: PortalHarness;
  after(async () => h?.close());

  test('without a session, in Russian by default: the CA with its addresses, validity 1 and 3 years, both identification OIDs, the CRL schedule', async () => {
    h = await portalHarness(b.store, {
      extensions: [cpsPage()],
      fixture: { config: (c) => void (c.cps = { organization: 'АО «Демо УЦ»', email: 'pki@example.kz', phone: '+7 (727) 000-00-00', website: 'https://example.kz/<script>' }) },
    });
    const r = await h.client().get('/cps');
    assert.equal(r.status, 200);
    const page = r.body;
    assert.match(page, /<html lang="ru">/);
    assert.match(page, /<h1>Регламент удостоверяющего центра \(краткое изложение\)<\/h1>/);
    assert.match(page, /http:\/\/127\.0\.0\.1:8080\/crl\/rsa-delta\.crl/);
    assert.match(page, /Ключ в файле на компьютере — 1 год\./);
    assert.match(page, /на токене или удостоверении личности — 3 года\./);
    assert.match(page, /1\.2\.398\.3\.3\.4\.3\.1/);
    assert.match(page, /1\.2\.398\.3\.3\.4\.3\.2/);
    assert.match(page, /раз в 24 часа, дельта-CRL — раз в 1 час/);
    assert.match(page, /АО «Демо УЦ»/);
    assert.match(page, /href="mailto:pki@example.kz"/);
    assert.doesNotMatch(page, /<script>/);
    assert.match(page, /https:\/\/example\.kz\/&lt;script&gt;/);
  });

  test('Kazakh and English by the browser’s language', async () => {
    const kk = await h.client().get('/cps', { 'accept-language': 'kk-KZ,kk;q=0.9' });
    assert.match(kk.body, /<h1>Куәландырушы орталықтың регламенті \(қысқаша\)<\/h1>/);
    assert.match(kk.body, /1 жыл/);
    const en = await h.client().get('/cps', { 'accept-language': 'en-GB' });
    assert.match(en.body, /<h1>Certification practice statement \(summary\)<\/h1>/);
    assert.match(en.body, /Key in a file on a computer: 1 year\./);
  });
});
