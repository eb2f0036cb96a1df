import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isQtError } from '@qoltanba/errors';
import { bytesEqual, toHex } from '../encoding.ts';
import { buildIin } from '../iin/index.ts';
import { fixtureCertificates } from '../certificate/testing/fixture-certificates.ts';
import { encodeDn } from './dn.ts';
import { buildKzSubject, kzFields, parseKzSubject, type KzSubjectInput } from './kz-subject.ts';
import { decodeDn } from './dn.ts';
import { rawNames } from './testing/names.ts';

const subjectOf = (label: string) => rawNames(fixtureCertificates().find((c) => c.label === label)!.der).subject;
const test1 = { testMode: true };

test("NCA's person subjects parse to the KZ model (individual, CEO with O/BIN, 2018 layout with L/ST)", () => {
  assert.deepEqual(parseKzSubject(subjectOf('nca individual SIGN (RSA)'), test1), {
    commonName: 'ТЕСТОВ ТЕСТ',
    surname: 'ТЕСТОВ',
    name: 'ТЕСТ',
    patronymic: 'ТЕСТОВИЧ',
    iin: '123456789011',
    country: 'KZ',
  });
  const ceo = parseKzSubject(subjectOf('prod 2018 CEO (GOST 2004)'), test1);
  assert.equal(ceo.organization, 'АО "ТЕСТ"');
  assert.equal(ceo.bin, '123456789021');
  assert.equal(ceo.locality, 'АЛМАТЫ');
  assert.equal(ceo.state, 'АЛМАТЫ');
});

test("rebuilding each NCA person subject from its model gives NCA's exact bytes", () => {
  const people = fixtureCertificates().filter((c) => /individual|CEO/.test(c.label));
  assert.equal(people.length, 6);
  for (const { label, der } of people) {
    const { subject } = rawNames(der);
    const again = buildKzSubject(parseKzSubject(subject, test1), test1);
    assert.ok(bytesEqual(again, subject), `${label}: ${toHex(subject)} != ${toHex(again)}`);
  }
});

test("NCA's test IIN needs test mode; without it the IIN error says why", () => {
  assert.throws(() => parseKzSubject(subjectOf('nca individual SIGN (RSA)')), (e) => isQtError(e, 'QT_ERR_IIN_INVALID') && e.details?.reason === 'century');
  assert.throws(
    () => buildKzSubject({ surname: 'Иванов', name: 'Иван', iin: '900101300017', organization: 'АО "ТЕСТ"', bin: '123456789021' }),
    (e) => isQtError(e, 'QT_ERR_BIN_INVALID'),
  );
});

test('input is normalised: upper case, trimmed, single spaces, NFC', () => {
  const der = buildKzSubject({ surname: '  сәрсенбаев ', name: 'Нұр  сұлтан', patronymic: 'ә\u0301білұлы', iin: '900101300017' });
  const s = parseKzSubject(der);
  assert.equal(s.commonName, 'СӘРСЕНБАЕВ НҰР СҰЛТАН');
  assert.equal(s.name, 'НҰР СҰЛТАН');
  assert.equal(s.patronymic, 'Ә́БІЛҰЛЫ'.normalize('NFC'));
});

test('bad names and incomplete subjects are refused with precise codes', () => {
  const base: KzSubjectInput = { surname: 'Иванов', name: 'Иван', iin: '900101300017' };
  const cases: [Partial<KzSubjectInput>, string, string?][] = [
    [{ surname: '' }, 'QT_ERR_NAME_INVALID', 'empty'],
    [{ surname: '   ' }, 'QT_ERR_NAME_INVALID', 'empty'],
    [{ name: 'Иван2' }, 'QT_ERR_NAME_INVALID', 'characters'],
    [{ name: 'Иван,CN=evil' }, 'QT_ERR_NAME_INVALID', 'characters'],
    [{ patronymic: 'x\u0000' }, 'QT_ERR_NAME_INVALID', 'characters'],
    [{ surname: 'А'.repeat(65) }, 'QT_ERR_NAME_INVALID', 'length'],
    [{ surname: 'А'.repeat(40), name: 'Б'.repeat(30) }, 'QT_ERR_NAME_INVALID', 'length'],
    [{ organization: 'АО "ТЕСТ"' }, 'QT_ERR_SUBJECT_INVALID'],
    [{ bin: '080440000018' }, 'QT_ERR_SUBJECT_INVALID'],
    [{ organization: 'АО\u0007', bin: '080440000018' }, 'QT_ERR_NAME_INVALID', 'characters'],
    [{ iin: '900101300018' }, 'QT_ERR_IIN_INVALID', 'checksum'],
  ];
  for (const [change, code, reason] of cases) {
    assert.throws(
      () => buildKzSubject({ ...base, ...change }),
      (e) => isQtError(e) && e.code === code && (reason === undefined || e.details?.reason === reason),
      JSON.stringify(change),
    );
  }
  assert.ok(buildKzSubject({ ...base, organization: 'ТОО «Қолтаңба»', bin: '080440000018' }).length > 0);
});

test('strict parsing refuses subjects outside the layout; kzFields reads them leniently', () => {
  const refuse = (dn: Parameters<typeof encodeDn>[0], why: RegExp) =>
    assert.throws(() => parseKzSubject(encodeDn(dn)), (e) => isQtError(e, 'QT_ERR_SUBJECT_INVALID') && why.test(e.message));
  const person = [
    { type: 'CN', value: 'ИВАНОВ ИВАН' },
    { type: 'SURNAME', value: 'ИВАНОВ' },
    { type: 'SERIALNUMBER', value: 'IIN900101300017' },
    { type: 'C', value: 'KZ' },
  ];
  assert.equal(parseKzSubject(encodeDn(person)).name, 'ИВАН');
  refuse([...person, { type: 'E', value: 'a@b.kz' }], /no place/);
  refuse([...person, { type: 'SURNAME', value: 'ИВАНОВ' }], /repeats/);
  refuse([{ type: 'CN', value: 'ПЕТРОВ ИВАН' }, ...person.slice(1)], /surname followed by the first name/);
  refuse([...person.slice(0, 2), { type: 'SERIALNUMBER', value: '900101300017' }, person[3]!], /SERIALNUMBER/);
  refuse([...person.slice(0, 3), { type: 'C', value: 'RU' }], /C must be KZ/);
  refuse([...person, { type: 'O', value: 'АО' }, { type: 'OU', value: '080440000018' }], /OU must be/);
  const responder = decodeDn(subjectOf('nca OCSP responder (RSA)'));
  assert.throws(() => parseKzSubject(responder, test1), (e) => isQtError(e, 'QT_ERR_SUBJECT_INVALID'));
  assert.deepEqual(
    { iin: kzFields(responder).iin, bin: kzFields(responder).bin, surname: kzFields(responder).surname },
    { iin: '123456789011', bin: '123456789021', surname: undefined },
  );
});

const kazakhLetters = [...'АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯаәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюяABCZabcz'];
const word = fc.array(fc.constantFrom(...kazakhLetters), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
const personName = fc.tuple(word, fc.option(fc.tuple(fc.constantFrom('-', ' ', "'"), word))).map(([a, rest]) => (rest ? a + rest[0] + rest[1] : a));
const iin = fc
  .record({
    birthDate: fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    sex: fc.constantFrom('male' as const, 'female' as const),
    number: fc.integer({ min: 0, max: 9999 }),
  })
  .map((p) => {
    try {
      return buildIin(p);
    } catch {
      return '900101300017';
    }
  });

test('property: build → parse → build is stable for arbitrary Cyrillic/Kazakh names, and parse gives the names back', () => {
  fc.assert(
    fc.property(
      personName,
      personName,
      fc.option(personName, { nil: undefined }),
      iin,
      fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '' && !/\p{C}/u.test(s)), fc.constant('080440000018')), { nil: undefined }),
      (surname, name, patronymic, iinValue, org) => {
        const input: KzSubjectInput = { surname, name, patronymic, iin: iinValue, organization: org?.[0], bin: org?.[1] };
        const der = buildKzSubject(input);
        const parsed = parseKzSubject(der);
        assert.equal(parsed.surname, surname.toUpperCase());
        assert.equal(parsed.name, name.toUpperCase());
        assert.equal(parsed.patronymic, patronymic?.toUpperCase());
        assert.equal(parsed.iin, iinValue);
        assert.ok(bytesEqual(buildKzSubject(parsed), der));
      },
    ),
    { numRuns: 500 },
  );
});
