/**
 * Side by side: the same CMS and XML inputs give the same verdict through the library (@qoltanba/pki's
 * verifier with the HTTP revocation fetcher), the CLI (`qoltanba verify --json`), our REST shape
 * (/api/v1/verify) and NCANode's (/cms/verify, /xml/verify) — valid or not, with the same reason. The
 * signers' certificates come from our own CA, whose OCSP and CRLs are served over HTTP; the CMS inputs are
 * made by openssl, the XML by our signer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  derFrom,
  importPrivateKey,
  oid,
  signXml,
  verifyCmsDocument,
  verifyXmlDocument,
  webCryptoSigner,
  type DocumentVerdict,
  inspectCertificate,
} from '@qoltanba/pki';
import { RevocationFetcher, resolveVerifyOptions } from '@qoltanba/server';
import { describeEachBackend, startVerifyHarness, type IssuedPerson, type VerifyHarness } from '@qoltanba/server/testing';
import { runQoltanba } from '../../testing/run.ts';

let dir: string;
before(() => void (dir = mkdtempSync(join(tmpdir(), 'qt-interop-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Input {
  name: string;
  kind: 'cms' | 'xml';
  /** The file the CLI reads; base64 DER (CMS) or the XML text for the rest. */
  file: string;
  text: string;
  /** Detached content, when the CMS is detached. */
  content?: { file: string; base64: string };
  expected: string | 'VALID';
}

function write(name: string, data: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

function opensslCms(name: string, signer: { certPem: string; keyPem: string }, content: string, detached = false): Buffer {
  const cert = write(`${name}.crt`, signer.certPem);
  const key = write(`${name}.key`, signer.keyPem);
  const doc = write(`${name}.txt`, content);
  return execFileSync('openssl', ['cms', '-sign', '-binary', ...(detached ? [] : ['-nodetach']), '-md', 'sha256', '-in', doc, '-signer', cert, '-inkey', key, '-outform', 'DER']);
}

async function xmlBy(person: IssuedPerson, body: string): Promise<string> {
  const privateKey = await importPrivateKey({ pkcs8: derFrom(person.keyPem), algorithmOid: oid.rsaEncryption });
  const signer = await webCryptoSigner(privateKey, inspectCertificate(person.certificatePem).publicKey.spki);
  return signXml(`<?xml version="1.0" encoding="UTF-8"?><application><iin>${person.iin}</iin><text>${body}</text></application>`, { signer, certificate: person.certificatePem });
}

describeEachBackend('the same verdict through the library, the CLI, /api/v1/verify and NCANode’s REST shape', (ctx) => {
  let h: VerifyHarness;
  const inputs: Input[] = [];
  after(async () => h?.close());

  test('inputs: valid, changed, revoked and untrusted CMS (attached and detached) and XML', async () => {
    h = await startVerifyHarness(ctx.store, { verify: { trust: { presets: ['local'] } } });
    const person = await h.issuePerson();
    const victim = await h.issuePerson();
    await h.revoke(victim.serial, 'keyCompromise');
    const signer = { certPem: person.certificatePem, keyPem: person.keyPem };
    const cms = (name: string, der: Buffer, expected: string, content?: string): Input => ({
      name,
      kind: 'cms',
      file: write(`${name}.p7s`, der),
      text: der.toString('base64'),
      content: content === undefined ? undefined : { file: write(`${name}.content`, content), base64: Buffer.from(content).toString('base64') },
      expected,
    });
    const valid = opensslCms('valid', signer, 'Шарт № 14');
    const changed = Buffer.from(valid);
    const at = changed.indexOf(Buffer.from('№ 14'));
    changed[at + 5] = 0x35; // "№ 15"
    const selfSigned = join(dir, 'stranger');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${selfSigned}.key`, '-out', `${selfSigned}.crt`, '-subj', '/CN=STRANGER/C=KZ', '-days', '30']);
    inputs.push(
      cms('cms-valid', valid, 'VALID'),
      cms('cms-changed', changed, 'QT_ERR_CMS_DIGEST_MISMATCH'),
      cms('cms-detached', opensslCms('detached', signer, 'Қосымша', true), 'VALID', 'Қосымша'),
      cms('cms-detached-other-content', opensslCms('detached2', signer, 'Қосымша', true), 'QT_ERR_CMS_DIGEST_MISMATCH', 'Қосымша 2'),
      cms('cms-revoked', opensslCms('revoked', { certPem: victim.certificatePem, keyPem: victim.keyPem }, 'Шарт'), 'QT_ERR_CERT_REVOKED'),
      cms('cms-untrusted', opensslCms('stranger', { certPem: readFileSync(`${selfSigned}.crt`, 'utf8'), keyPem: readFileSync(`${selfSigned}.key`, 'utf8') }, 'Шарт'), 'QT_ERR_CHAIN_INCOMPLETE'),
    );
    const xml = (name: string, text: string, expected: string): Input => ({ name, kind: 'xml', file: write(`${name}.xml`, text), text, expected });
    const signedXml = await xmlBy(person, 'Өтініш');
    inputs.push(
      xml('xml-valid', signedXml, 'VALID'),
      xml('xml-changed', signedXml.replace('Өтініш', 'Өтінім'), 'QT_ERR_XML_SIGNATURE_INVALID'),
      xml('xml-revoked', await xmlBy(victim, 'Өтініш'), 'QT_ERR_CERT_REVOKED'),
    );
  });

  test('every input: one verdict and one reason on all four surfaces', async () => {
    const library = async (input: Input): Promise<DocumentVerdict> => {
      const options = {
        trustAnchors: [derFrom(readFileSync(h.fx.rootFile, 'utf8'))],
        intermediates: [derFrom(readFileSync(h.fx.issuingFile, 'utf8'))],
        revocationSource: new RevocationFetcher(resolveVerifyOptions().fetch).forRequest(),
        content: input.content ? Buffer.from(input.content.base64, 'base64') : undefined,
      };
      return input.kind === 'cms' ? verifyCmsDocument(input.text, options) : verifyXmlDocument(input.text, options);
    };
    const post = async (path: string, body: object) => (await fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

    for (const input of inputs) {
      const lib = await library(input);
      const cliRun = await runQoltanba(['verify', input.file, '--ca', h.fx.rootFile, '--untrusted', h.fx.issuingFile, '--json', ...(input.content ? ['--content', input.content.file] : [])]);
      const cli = JSON.parse(cliRun.stdout);
      const ours = await post('/api/v1/verify', input.kind === 'cms' ? { cms: input.text, data: input.content?.base64 } : { xml: input.text });
      const theirs = await post(input.kind === 'cms' ? '/cms/verify' : '/xml/verify', input.kind === 'cms' ? { cms: input.text, data: input.content?.base64 } : { xml: input.text });

      const expectValid = input.expected === 'VALID';
      const seen = { library: lib.valid, cli: cli.ok, ours: ours.valid, ncanode: theirs.valid };
      assert.deepEqual(seen, { library: expectValid, cli: expectValid, ours: expectValid, ncanode: expectValid }, `${input.name}: ${JSON.stringify(seen)}`);
      assert.equal(cliRun.code, expectValid ? 0 : 1, input.name);
      const codes = { library: lib.error?.code, cli: cli.error?.code, ours: ours.error?.code };
      const want = expectValid ? undefined : input.expected;
      assert.deepEqual(codes, { library: want, cli: want, ours: want }, `${input.name}: ${JSON.stringify(codes)}`);
      // NCANode's shape has no code field on a verdict; the reason it gives is the same message.
      const message = lib.error?.message ?? 'OK';
      assert.deepEqual([ours.error?.message ?? 'OK', cli.error?.message ?? 'OK', theirs.message], [message, message, message], input.name);
      if (expectValid) {
        assert.equal(ours.signers[0].chain[0].revocation.status, 'good', `${input.name}: revocation checked`);
        assert.equal(cli.signers[0].chain[0].revocation.status, 'good');
      }
    }
  });
});
