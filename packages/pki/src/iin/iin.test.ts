import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isQtError } from '@qoltanba/errors';
import { buildIin, isValidIin, parseIin, type ValidIin } from './iin.ts';

function rejectsWith(fn: () => unknown, reason: string): void {
  assert.throws(fn, (e) => isQtError(e, 'QT_ERR_IIN_INVALID') && e.details?.reason === reason);
}

test('a valid IIN yields birth date, sex and registration number', () => {
  // 90 01 01 | 3 = male, 1900s | 0001 | check: (9·1+1·4+1·6+3·7+1·11) mod 11 = 7
  assert.deepEqual(parseIin('900101300017'), {
    test: false,
    iin: '900101300017',
    birthDate: '1990-01-01',
    sex: 'male',
    number: '0001',
    checkDigit: 7,
  });
});

test('the second weight round is used when the first gives 10', () => {
  // 000101 5 0020: first round 65 mod 11 = 10; second (3,4,5,…) 61 mod 11 = 6
  const info = parseIin('000101500206') as ValidIin;
  assert.equal(info.checkDigit, 6);
  assert.equal(info.birthDate, '2000-01-01');
});

test('eleven digits whose both rounds give 10 have no valid IIN at all', () => {
  // 000101 5 0022: first round 10, second round 10
  for (let d = 0; d <= 9; d++) rejectsWith(() => parseIin(`00010150022${d}`), 'checksum');
  rejectsWith(() => buildIin({ birthDate: '2000-01-01', sex: 'male', number: 22 }), 'checksum');
});

test('each kind of defect has its own reason', () => {
  rejectsWith(() => parseIin('90010130001'), 'length');
  rejectsWith(() => parseIin('9001013000170'), 'length');
  rejectsWith(() => parseIin('90010130001A'), 'digits');
  rejectsWith(() => parseIin('900101 30001'), 'digits');
  rejectsWith(() => parseIin('900101700017'), 'century');
  rejectsWith(() => parseIin('900101000017'), 'century');
  rejectsWith(() => parseIin('900230300017'), 'date'); // 30 February
  rejectsWith(() => parseIin('001329300017'), 'date');
  rejectsWith(() => parseIin('900101300018'), 'checksum');
});

test('29 February is a birth date only in leap years (2000 was one, 1900 was not)', () => {
  assert.equal((parseIin(buildIin({ birthDate: '2000-02-29', sex: 'female', number: 5 })) as ValidIin).birthDate, '2000-02-29');
  rejectsWith(() => buildIin({ birthDate: '1900-02-29', sex: 'female', number: 5 }), 'date');
});

test("NCA's test IIN is refused by default and accepted, marked as test, only in test mode", () => {
  rejectsWith(() => parseIin('123456789011'), 'century'); // 7th digit 7
  assert.equal(isValidIin('123456789011'), false);
  assert.deepEqual(parseIin('123456789011', { testMode: true }), { test: true, iin: '123456789011' });
  // Test mode still wants twelve digits.
  rejectsWith(() => parseIin('12345678901', { testMode: true }), 'length');
  rejectsWith(() => parseIin('12345678901x', { testMode: true }), 'digits');
  // A valid IIN is parsed in full in test mode too.
  assert.equal(parseIin('900101300017', { testMode: true }).test, false);
});

const birthDates = fc
  .date({ min: new Date('1800-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const parts = fc.record({ birthDate: birthDates, sex: fc.constantFrom('male' as const, 'female' as const), number: fc.integer({ min: 0, max: 9999 }) });

function tryBuild(p: { birthDate: string; sex: 'male' | 'female'; number: number }): string | undefined {
  try {
    return buildIin(p);
  } catch (e) {
    if (isQtError(e, 'QT_ERR_IIN_INVALID') && e.details?.reason === 'checksum') return undefined;
    throw e;
  }
}

test('property: a built IIN parses back to the same birth date, sex and number', () => {
  fc.assert(
    fc.property(parts, (p) => {
      const iin = tryBuild(p);
      fc.pre(iin !== undefined);
      const info = parseIin(iin!) as ValidIin;
      assert.equal(info.test, false);
      assert.equal(info.birthDate, p.birthDate);
      assert.equal(info.sex, p.sex);
      assert.equal(Number(info.number), p.number);
    }),
    { numRuns: 2000 },
  );
});

test('property: a single changed digit is caught, or parses as a different person — never the same one', () => {
  fc.assert(
    fc.property(parts, fc.integer({ min: 0, max: 11 }), fc.integer({ min: 1, max: 9 }), (p, pos, delta) => {
      const iin = tryBuild(p);
      fc.pre(iin !== undefined);
      const corrupted = iin!.slice(0, pos) + String((Number(iin![pos]) + delta) % 10) + iin!.slice(pos + 1);
      let info: ValidIin;
      try {
        info = parseIin(corrupted) as ValidIin;
      } catch (e) {
        assert.ok(isQtError(e, 'QT_ERR_IIN_INVALID'));
        return;
      }
      const original = parseIin(iin!) as ValidIin;
      assert.notDeepEqual(
        [info.birthDate, info.sex, info.number, info.checkDigit],
        [original.birthDate, original.sex, original.number, original.checkDigit],
      );
    }),
    { numRuns: 5000 },
  );
});

test('property: a changed check digit is always caught', () => {
  fc.assert(
    fc.property(parts, fc.integer({ min: 1, max: 9 }), (p, delta) => {
      const iin = tryBuild(p);
      fc.pre(iin !== undefined);
      const corrupted = iin!.slice(0, 11) + String((Number(iin![11]) + delta) % 10);
      assert.equal(isValidIin(corrupted), false);
    }),
  );
});

test('property: arbitrary text never escapes as anything but QT_ERR_IIN_INVALID', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (s) => {
      try {
        parseIin(s);
      } catch (e) {
        assert.ok(isQtError(e, 'QT_ERR_IIN_INVALID'), String(e));
      }
    }),
  );
});
