/**
 * The DER reader and writer every part of @qoltanba/pki builds on, and the keystore too. Exported as the
 * subpath `@qoltanba/pki/der` rather than from the main index, where short names like `sequence`,
 * `integer` and `time` would crowd the package's public vocabulary.
 */
export * from './read.ts';
export * from './write.ts';
