export * from './provider.ts';
export * from './algorithms.ts';
export * from './signer.ts';
export * from './tbs-kind.ts';
// DSA (verify only) registers itself into the signature registry.
import './dsa.ts';
// GOST (NCA's Kazakh variants) registers its hashes and signature algorithms into the registries
// above; importing it here means every user of the registries sees it.
import '../gost/register.ts';
