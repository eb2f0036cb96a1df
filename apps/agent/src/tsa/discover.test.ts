import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { discoverTsaUrl } from './discover.ts';

/** GET /api/v1/ca as a Qoltanba server answers it (apps/server/src/status/routes.ts), for the parsing only. */
const answering = (body: unknown, status = 200): typeof fetch => (async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })) as typeof fetch;

describe('the TSA of the CA the agent is installed for', () => {
  test('is the list\'s tsaUrl, else the first issuing CA\'s', async () => {
    assert.equal(await discoverTsaUrl('https://ca.example.kz', answering({ cas: [], tsaUrl: 'https://ca.example.kz/tsp', tsaPolicy: '1.2.398.3.3.2.6.1' })), 'https://ca.example.kz/tsp');
    assert.equal(await discoverTsaUrl('https://ca.example.kz', answering({ cas: [{ name: 'rsa', tsaUrl: 'https://ca.example.kz/tsp/rsa' }] })), 'https://ca.example.kz/tsp/rsa');
  });
  test('a server that says nothing about a TSA serves it at /tsp; one that says null has none', async () => {
    assert.equal(await discoverTsaUrl('https://ca.example.kz/portal', answering({ cas: [{ name: 'rsa' }] })), 'https://ca.example.kz/tsp');
    await assert.rejects(discoverTsaUrl('https://ca.example.kz', answering({ cas: [{ name: 'rsa', tsaUrl: null }], tsaUrl: null, tsaPolicy: null })), /runs no time-stamping authority/);
  });
  test('an address that is not a CA\'s web address, or a list that cannot be read, is a clear error', async () => {
    await assert.rejects(discoverTsaUrl('ftp://ca.example.kz', answering({})), /--ca must be the CA's web address/);
    await assert.rejects(discoverTsaUrl('https://ca.example.kz', answering({}, 404)), /Cannot read https:\/\/ca\.example\.kz\/api\/v1\/ca: HTTP 404; give the TSA with --tsa-url/);
  });
});
