import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { VERSION } from '@qoltanba/server';
import { buildProgram } from './program.ts';
import { jsonReplacer, toJson } from './output.ts';
import { runQoltanba } from './testing/run.ts';

function everyCommand(): string[][] {
  const { program } = buildProgram({ out: new PassThrough(), err: new PassThrough() });
  const paths: string[][] = [[]];
  const walk = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      if (sub.name() === 'help') continue;
      paths.push([...path, sub.name()]);
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(program, []);
  return paths;
}

test("every command's --help ends with examples of its use", async () => {
  const paths = everyCommand();
  assert.ok(paths.length > 20, `only ${paths.length} commands found`);
  for (const path of paths) {
    const r = await runQoltanba([...path, '--help']);
    assert.equal(r.code, 0, path.join(' '));
    const lines = r.stdout.trimEnd().split('\n');
    const examples = lines.lastIndexOf('Examples:');
    assert.ok(examples > 0, `qoltanba ${path.join(' ')} --help has no Examples section`);
    const shown = lines.slice(examples + 1);
    assert.ok(shown.length > 0 && shown.every((l) => /^ {2}[$#] /.test(l)), `qoltanba ${path.join(' ')} --help ends with something else than examples`);
    assert.ok(shown.some((l) => l.startsWith('  $ qoltanba ') || l.includes(' qoltanba ')), path.join(' '));
  }
});

test('--version prints the version and exits 0', async () => {
  for (const flag of ['--version', '-V']) {
    const r = await runQoltanba([flag]);
    assert.deepEqual(r, { code: 0, stdout: `qoltanba ${VERSION}\n`, stderr: '' });
  }
});

test('a usage mistake prints one line and where to read more, exits 2 and touches nothing', async () => {
  const mistakes: Array<[string[], RegExp]> = [
    [['status', 'not-hex'], /is not a certificate serial number/],
    [['revoke', '0C:F2:ZZ'], /is not a certificate serial number/],
    [['status'], /missing required argument 'serial'/],
    [['revoke', '0CF2', '--reason', 'because'], /Allowed choices are/],
    [['revoke', '0CF2', '--invalidity-date', 'yesterday'], /is not a date/],
    [['crl', '--out', 'rsa.crl'], /--out needs --ca/],
    [['issue', '--csr', 'x.csr'], /required option/],
    [['token', 'create', 'x', '--expires', 'soon'], /is not a date/],
    [['notify', 'run', '--wait-receipts', '-1'], /is not a number of seconds/],
    [['verify', 'x.cer', '--at', 'someday'], /--at must be a date/],
    [['ca'], /missing command \(commands: init, list\)/],
    [['ca', 'sign'], /unknown command 'sign'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['ca', 'list', '--colour'], /unknown option '--colour'/],
  ];
  for (const [args, problem] of mistakes) {
    const r = await runQoltanba(['--home', '/nonexistent/qoltanba-usage-test', ...args]);
    const label = `qoltanba ${args.join(' ')}`;
    assert.equal(r.code, 2, label);
    assert.equal(r.stdout, '', label);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, `${label} printed:\n${r.stderr}`);
    assert.match(lines[0]!, /^error: /, label);
    assert.match(lines[0]!, problem, label);
    assert.match(lines[1]!, /^\(run 'qoltanba( [a-z]+)* --help' for its options and examples\)$/, label);
  }
});

test('the CSV columns and allowed values of both registry imports are in their --help', async () => {
  const population = (await runQoltanba(['population', 'import', '--help'])).stdout;
  for (const column of ['iin', 'surname', 'name', 'patronymic', 'birth_date', 'status', 'document_type', 'document_number', 'document_issued', 'document_expires', 'photo']) {
    assert.match(population, new RegExp(`^ {2}${column}\\b`, 'm'), column);
  }
  assert.match(population, /alive \| deceased \| blocked/);
  assert.match(population, /id_card \| passport/);
  const registry = (await runQoltanba(['registry', 'import', '--help'])).stdout;
  for (const column of ['iin', 'phone', 'verified', 'verified_on']) assert.match(registry, new RegExp(`^ {2}${column}\\b`, 'm'), column);
});

test('--json never carries a Buffer: bytes anywhere in a result become base64', () => {
  const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]);
  const json = toJson({ der, nested: [{ raw: new Uint8Array([1, 2, 3]) }], view: new Uint8Array(der.buffer, der.byteOffset + 2, 3), n: 10n, at: new Date(0) });
  assert.doesNotMatch(json, /"type":\s*"Buffer"/);
  assert.deepEqual(JSON.parse(json), { der: 'MAMCAQU=', nested: [{ raw: 'AQID' }], view: 'AgEF', n: '10', at: '1970-01-01T00:00:00.000Z' });
  assert.equal(JSON.stringify(der, jsonReplacer), '"MAMCAQU="', 'a Buffer at the top too');
});
