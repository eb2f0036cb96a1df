import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isQtError } from '@qoltanba/errors';
import { binDivisions, binEntityTypes, buildBin, isValidBin, parseBin, type BinParts, type ValidBin } from './bin.ts';

function rejectsWith(fn: () => unknown, reason: string): void {
  assert.throws(fn, (e) => isQtError(e, 'QT_ERR_BIN_INVALID') && e.details?.reason === reason);
}

test('a valid BIN yields registration month, entity type, division and number', () => {
  // 08 04 | 4 resident | 0 head | 00001 | check: (8·2+4·4+4·5+1·11) mod 11 = 63 mod 11 = 8
  assert.deepEqual(parseBin('080440000018'), {
    test: false,
    bin: '080440000018',
    registered: '2008-04',
    entityType: 'resident legal entity',
    division: 'head organisation',
    number: '00001',
    checkDigit: 8,
  });
  assert.equal((parseBin(buildBin({ registered: '1997-11', entityType: '5', division: '1', number: 1234 })) as ValidBin).registered, '1997-11');
});

test('each kind of BIN defect has its own reason', () => {
  rejectsWith(() => parseBin('08044000001'), 'length');
  rejectsWith(() => parseBin('0804400000-8'), 'digits');
  rejectsWith(() => parseBin('081340000018'), 'date');
  rejectsWith(() => parseBin('080470000018'), 'type');
  rejectsWith(() => parseBin('080449000018'), 'division');
  rejectsWith(() => parseBin('080440000019'), 'checksum');
});

test("NCA's test BIN is refused by default and accepted, marked as test, only in test mode", () => {
  assert.equal(isValidBin('123456789021'), false);
  assert.deepEqual(parseBin('123456789021', { testMode: true }), { test: true, bin: '123456789021' });
  rejectsWith(() => parseBin('1234567890', { testMode: true }), 'length');
});

const binParts: fc.Arbitrary<BinParts> = fc.record({
  registered: fc.tuple(fc.integer({ min: 1990, max: 2089 }), fc.integer({ min: 1, max: 12 })).map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`),
  entityType: fc.constantFrom(...(Object.keys(binEntityTypes) as (keyof typeof binEntityTypes)[])),
  division: fc.constantFrom(...(Object.keys(binDivisions) as (keyof typeof binDivisions)[])),
  number: fc.integer({ min: 0, max: 99999 }),
});

test('property: a built BIN parses back to its parts, and a changed check digit is caught', () => {
  fc.assert(
    fc.property(binParts, fc.integer({ min: 1, max: 9 }), (p, delta) => {
      let bin: string;
      try {
        bin = buildBin(p);
      } catch (e) {
        assert.ok(isQtError(e, 'QT_ERR_BIN_INVALID') && e.details?.reason === 'checksum');
        return;
      }
      const info = parseBin(bin) as ValidBin;
      assert.equal(info.registered, p.registered);
      assert.equal(info.entityType, binEntityTypes[p.entityType]);
      assert.equal(info.division, binDivisions[p.division]);
      assert.equal(Number(info.number), p.number);
      assert.equal(isValidBin(bin.slice(0, 11) + String((Number(bin[11]) + delta) % 10)), false);
    }),
    { numRuns: 2000 },
  );
});
