import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDatabase, population } from '@qoltanba/server';
import { uniqueIin, drawFace, encodePng, PEOPLE, birthDateOf } from '@qoltanba/server/testing';
import { runQoltanba } from '../testing/run.ts';

const home = mkdtempSync(join(tmpdir(), 'qt-cli-population-'));
const env = { ...process.env, DATABASE_URL: '', NODE_ENV: 'test' };
const q = (...args: string[]) => runQoltanba(['--home', home, ...args], env);
after(() => rmSync(home, { recursive: true, force: true }));

test('population import names each bad row (IIN, birth date, status, document, photo) and imports nothing; then a clean file with photos', async () => {
  delete process.env.DATABASE_URL;
  const dir = join(home, 'export');
  mkdirSync(join(dir, 'photos'), { recursive: true });
  const png = encodePng(drawFace(PEOPLE.aigerim));
  writeFileSync(join(dir, 'photos', 'a.png'), png);
  writeFileSync(join(dir, 'photos', 'not-an-image.png'), 'hello');
  writeFileSync(join(home, 'outside.png'), png);
  const [a, b, c] = [uniqueIin(), uniqueIin(), uniqueIin()];
  const header = 'iin;surname;name;patronymic;birth_date;status;document_type;document_number;document_issued;document_expires;photo';
  const good = (iin: string, photo = 'photos/a.png') => `${iin};НУРЛАНОВА;АЙГЕРИМ;СЕРІКҚЫЗЫ;${birthDateOf(iin)};alive;id_card;04 123 456 7;15.03.2021;14.03.2031;${photo}`;
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, [
    header,
    good(a),
    `${a.slice(0, 11)}${(Number(a[11]) + 1) % 10};X;Y;;${birthDateOf(a)};alive;id_card;041234567;2021-03-15;2031-03-14;`,
    `${b};X;Y;;1999-01-01;alive;id_card;041234567;2021-03-15;2031-03-14;`,
    `${c};X;Y;;${birthDateOf(c)};missing;id_card;041234567;2021-03-15;2031-03-14;`,
    good(b, 'photos/not-an-image.png'),
    good(c, '../outside.png'),
  ].join('\n') + '\n');
  const refused = await q('population', 'import', bad);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /line 3: QT_ERR_IIN_INVALID \(iin\)/);
  assert.match(refused.stderr, /line 4: QT_ERR_REGISTRY_ROW_INVALID \(birth_date\): 1999-01-01 is not the birth date the IIN encodes/);
  assert.match(refused.stderr, /line 5: QT_ERR_REGISTRY_ROW_INVALID \(status\)/);
  assert.match(refused.stderr, /line 6: QT_ERR_IMAGE_INVALID \(photo\)/);
  assert.match(refused.stderr, /line 7: QT_ERR_IMAGE_INVALID \(photo\): the photo "\.\.\/outside\.png" is outside the CSV file's folder/);
  assert.match(refused.stderr, /error QT_ERR_REGISTRY_IMPORT_REJECTED: .*5 of 6 rows are invalid; nothing was imported/);

  const clean = join(dir, 'gbdfl.csv');
  writeFileSync(clean, [header, good(a), good(b, '')].join('\n') + '\n');
  const ok = await q('--json', 'population', 'import', clean);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.deepEqual((({ rows, written, withPhoto, invalid }) => ({ rows, written, withPhoto, invalid }))(JSON.parse(ok.stdout)), { rows: 2, written: 2, withPhoto: 1, invalid: 0 });

  const store = await openDatabase({ dataDir: join(home, 'db') });
  try {
    const registry = new population.DatabasePopulationRegistry(store.db);
    const p = await registry.person(a);
    assert.deepEqual(p, {
      iin: a, surname: 'НУРЛАНОВА', name: 'АЙГЕРИМ', patronymic: 'СЕРІКҚЫЗЫ', birthDate: birthDateOf(a), status: 'alive',
      document: { type: 'id_card', number: '041234567', issuedOn: '2021-03-15', expiresOn: '2031-03-14' }, hasPhoto: true,
    });
    const photo = await registry.photo(a);
    assert.equal(photo?.mediaType, 'image/png');
    assert.ok(photo?.data.equals(png));
    assert.equal((await registry.person(b))?.hasPhoto, false);
    assert.equal(await registry.person(c), undefined);
  } finally {
    await store.close();
  }
});
