/**
 * A test TSA (openssl ts -reply behind HTTP, testing/tsa.ts) as a process of its own, for tests that run the
 * agent in another network namespace: `ip netns exec <ns> node --import tsx tsa-process.ts` prints one JSON
 * line {url, caFile, certFile} and serves until stdin closes.
 */
import { startTestTsa } from './tsa.ts';

const tsa = await startTestTsa();
process.stdout.write(`${JSON.stringify({ url: tsa.url, caFile: tsa.caFile, certFile: tsa.certFile })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void tsa.close().then(() => process.exit(0));
});
