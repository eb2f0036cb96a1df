/**
 * TEST SUPPORT ONLY (`@qoltanba/server/testing`): the server's test fixtures for other workspaces' tests
 * (the CLI's), so they use the server's public surface rather than reaching into its folders.
 */
export { DAY_MS, insertCa, insertPair, insertPerson, testIins } from '../notify/testing/fixtures.ts';
export { ReceiptingSmsc } from '../notify/testing/receipting-smsc.ts';
export { startTestSmtp } from '../notify/testing/smtp.ts';
export { uniqueIin } from '../ra/testing/fixture.ts';
export { drawFace, encodePng, PEOPLE } from '../remote/testing/faces.ts';
export { birthDateOf } from '../remote/testing/people.ts';
export { describeEachBackend, type BackendContext } from '../store/testing/backends.ts';
export { startVerifyHarness, type VerifyHarness, type IssuedPerson } from '../verify/testing/harness.ts';
export { BACKENDS, createTestDatabase, type TestDatabase } from '../store/testing/backends.ts';
