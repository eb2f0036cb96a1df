/**
 * Same-document references: what a Reference URI selects and the octets its transforms make of it.
 * URI="" and "#id" select without comments (XMLDSig §4.4.3.3, as Santuario and xmlsec do), so
 * NCALayer's c14n#WithComments transform yields no comments for them; #xpointer(...) keeps them.
 */
import type { Document, Element, Node } from '@xmldom/xmldom';
import { QtError } from '@qoltanba/errors';
import { utf8, type Bytes } from '../encoding.ts';
import { canonicalizationAlgorithm, ENVELOPED_SIGNATURE } from './algorithms.ts';
import { canonicalize } from './c14n.ts';
import { elementsInOrder } from './dom.ts';

/** Attribute names treated as IDs (no DTD or schema says which attributes are IDs). */
export const ID_ATTRIBUTES = ['Id', 'ID', 'id'] as const;

export interface TransformSpec {
  algorithm: string;
  /** exc-c14n InclusiveNamespaces PrefixList. */
  inclusivePrefixes?: readonly string[];
}

export interface Dereferenced {
  node: Document | Element;
  withComments: boolean;
}

export function dereference(doc: Document, uri: string): Dereferenced {
  if (uri === '') return { node: doc, withComments: false };
  if (uri === '#xpointer(/)') return { node: doc, withComments: true };
  const xpointer = /^#xpointer\(id\(['"]([^'"]+)['"]\)\)$/.exec(uri);
  if (xpointer) return { node: elementById(doc, xpointer[1] as string), withComments: true };
  if (uri.startsWith('#')) return { node: elementById(doc, uri.slice(1)), withComments: false };
  throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `Only same-document references are supported, not "${uri}"`, { uri });
}

/**
 * The one element whose ID is `id`. Two elements with the same ID make the reference ambiguous —
 * the signature-wrapping trick — so that is an invalid signature, not a guess.
 */
export function elementById(doc: Document, id: string): Element {
  const found = elementsInOrder(doc).filter((e) => ID_ATTRIBUTES.some((name) => e.getAttribute(name) === id));
  if (found.length === 1) return found[0] as Element;
  throw new QtError(
    'QT_ERR_XML_SIGNATURE_INVALID',
    found.length === 0 ? `The signature references "#${id}", which no element carries` : `More than one element carries the ID "${id}"`,
    { reason: 'reference', id },
  );
}

/**
 * Applies the transforms (enveloped-signature, then one canonicalization) and returns the octets to
 * digest. `signature` is the enveloping ds:Signature (undefined while it is still being made).
 */
export function transformedOctets(target: Dereferenced, transforms: readonly TransformSpec[], signature: Element | undefined): Bytes {
  let exclude: ((n: Node) => boolean) | undefined;
  let c14n = { withComments: false, exclusive: false, inclusivePrefixes: undefined as readonly string[] | undefined };
  let canonicalized = false;
  for (const t of transforms) {
    if (canonicalized) {
      throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `A transform after canonicalization (${t.algorithm}) is not supported`);
    }
    if (t.algorithm === ENVELOPED_SIGNATURE) {
      if (signature) exclude = (n) => n === signature;
      continue;
    }
    const alg = canonicalizationAlgorithm(t.algorithm);
    if (!alg) throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', `The XML transform ${t.algorithm} is not supported`, { uri: t.algorithm });
    c14n = { ...alg, inclusivePrefixes: t.inclusivePrefixes };
    canonicalized = true;
  }
  // Without a canonicalization transform, a node-set is converted with inclusive c14n (XMLDSig §4.3.3.2).
  const text = canonicalize(target.node, {
    withComments: c14n.withComments && target.withComments,
    exclusive: c14n.exclusive,
    inclusivePrefixes: c14n.inclusivePrefixes,
    exclude,
  });
  return utf8(text);
}
