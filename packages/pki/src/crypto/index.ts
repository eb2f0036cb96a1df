export * from './provider.ts';
export * from './algorithms.ts';
export * from './signer.ts';
export * from './tbs-kind.ts';
