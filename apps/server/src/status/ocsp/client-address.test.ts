import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQtError } from '@qoltanba/pki';
import { clientAddressResolver, validateTrustProxy } from './client-address.ts';

test('with no trusted proxy the client is the TCP peer, whatever X-Forwarded-For says', () => {
  const of = clientAddressResolver([]);
  assert.equal(of('203.0.113.9', '198.51.100.1'), '203.0.113.9');
});

test('a peer that is not a trusted proxy is the client: its X-Forwarded-For is not read', () => {
  const of = clientAddressResolver(['10.0.0.5']);
  assert.equal(of('203.0.113.9', '198.51.100.1'), '203.0.113.9');
  assert.equal(of('10.0.0.6', '198.51.100.1'), '10.0.0.6');
});

test('behind a trusted proxy the client is the right-most forwarded address: what the client wrote itself, left of it, is ignored', () => {
  const of = clientAddressResolver(['10.0.0.5']);
  assert.equal(of('10.0.0.5', '198.51.100.1'), '198.51.100.1');
  assert.equal(of('10.0.0.5', '1.2.3.4, 198.51.100.1'), '198.51.100.1');
  assert.equal(of('::ffff:10.0.0.5', ['1.2.3.4', '198.51.100.1']), '198.51.100.1');
  // No header from the trusted proxy: the proxy is all we know.
  assert.equal(of('10.0.0.5', undefined), '10.0.0.5');
});

test('a chain of trusted proxies (CIDRs, IPv6) is walked leftwards to the first address not trusted', () => {
  const of = clientAddressResolver(['10.0.0.0/24', 'fd00::/64']);
  assert.equal(of('10.0.0.5', '7.7.7.7, 198.51.100.1, 10.0.0.9'), '198.51.100.1');
  assert.equal(of('fd00::1', '2001:db8::7, fd00::2'), '2001:db8::7');
  assert.equal(of('10.0.0.5', '[2001:db8::7]:4711'), '2001:db8::7');
  assert.equal(of('10.0.0.5', '198.51.100.1:4711'), '198.51.100.1');
  // Everything trusted: the left-most is the furthest we know.
  assert.equal(of('10.0.0.5', '10.0.0.7, 10.0.0.9'), '10.0.0.7');
});

test('an entry that is not an address stops the walk at the last trusted hop', () => {
  const of = clientAddressResolver(['10.0.0.0/24']);
  assert.equal(of('10.0.0.5', 'unknown'), '10.0.0.5');
  assert.equal(of('10.0.0.5', '198.51.100.1, garbage, 10.0.0.9'), '10.0.0.9');
});

test('ocsp.trustProxy accepts addresses and CIDRs and refuses anything else, naming the entry', () => {
  validateTrustProxy(['10.0.0.5', '10.0.0.0/8', '::1', 'fd00::/64']);
  for (const bad of [['10.0.0.5/33'], ['haproxy'], ['10.0.0.0/'], ['fd00::/129'], 'not a list', [5]]) {
    assert.throws(() => validateTrustProxy(bad), (e: unknown) => isQtError(e, 'QT_ERR_INPUT_INVALID'));
  }
});
