/**
 * TEST SUPPORT ONLY (`@qoltanba/pki/testing`): the package's test helpers that other workspaces' tests use, so
 * they import the package instead of reaching into its folders. Each helper lives in the `testing/` folder of
 * the part it serves (path, tsp, cades); this file only gathers them.
 */
export { makeCert, makeHierarchy, leafOptions, type TestCert, type TestCertOptions } from '../path/testing/ca.ts';
export { OPENSSL_TSA_POLICY, makeTsaCertificate, startOpensslTsa, type OpensslTsa } from '../tsp/testing/openssl-tsa.ts';
export { testRequest, withTrailingElement, type TestRequestFields } from '../tsp/testing/requests.ts';
export { timeScenario, type TimeScenario } from '../cades/testing/scenario.ts';
