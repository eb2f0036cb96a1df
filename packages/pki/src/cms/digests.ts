/** The digest registry moved to crypto/ (next to the signature registry); CMS keeps its old import path. */
export * from '../crypto/digests.ts';
