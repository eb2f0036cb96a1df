/**
 * Canonical XML 1.0 (inclusive, W3C REC-xml-c14n-20010315) and Exclusive XML Canonicalization 1.0,
 * with and without comments, over a document or an element subtree minus excluded subtrees (the
 * enveloped signature).
 *
 * Hand-written on purpose: the canonicaliser bundled with xmldsigjs does not carry a subtree's
 * inherited namespaces and xml:* attributes onto its apex, orders attributes by concatenated
 * namespace+name, and only strips a Signature that is a direct child — each of which breaks
 * NCALayer's SignedInfo (inclusive c14n under the caller's root, whose default namespace belongs in
 * the signed bytes). Checked against xmllint's c14n and by xmlsec1 verifying our signatures.
 */
import type { Attr, Element, Node } from '@xmldom/xmldom';
import {
  CDATA_SECTION_NODE,
  COMMENT_NODE,
  DOCUMENT_NODE,
  ELEMENT_NODE,
  PROCESSING_INSTRUCTION_NODE,
  TEXT_NODE,
  XML_NS,
  XMLNS_NS,
} from './dom.ts';

export interface C14nOptions {
  withComments: boolean;
  /** Exclusive c14n: only visibly used namespaces are rendered. */
  exclusive?: boolean;
  /** Exclusive c14n's InclusiveNamespaces PrefixList ("#default" for the default namespace). */
  inclusivePrefixes?: readonly string[];
  /** Subtrees left out of the node-set (e.g. the enveloped ds:Signature). */
  exclude?: (node: Node) => boolean;
}

type Namespaces = ReadonlyMap<string, string>;

export function canonicalize(node: Node, options: C14nOptions): string {
  const out: string[] = [];
  const c = new Canonicalizer(options, out);
  if (node.nodeType === DOCUMENT_NODE) c.document(node);
  else c.apex(node as Element);
  return out.join('');
}

class Canonicalizer {
  private readonly inclusivePrefixes: Set<string>;

  constructor(
    private readonly options: C14nOptions,
    private readonly out: string[],
  ) {
    this.inclusivePrefixes = new Set((options.inclusivePrefixes ?? []).map((p) => (p === '#default' ? '' : p)));
  }

  document(doc: Node): void {
    let seenRoot = false;
    for (let n = doc.firstChild; n; n = n.nextSibling) {
      if (this.options.exclude?.(n)) continue;
      if (n.nodeType === ELEMENT_NODE) {
        this.element(n as Element, new Map(), new Map());
        seenRoot = true;
      } else if (n.nodeType === COMMENT_NODE || n.nodeType === PROCESSING_INSTRUCTION_NODE) {
        // Outside the root, comments and PIs are separated from it by a line feed (c14n §2.1).
        const before = this.out.length;
        this.leaf(n);
        if (this.out.length === before) continue;
        if (seenRoot) this.out.splice(before, 0, '\n');
        else this.out.push('\n');
      }
    }
  }

  /** A subtree as its own node-set: the apex carries every namespace (and xml:* attribute) in scope. */
  apex(element: Element): void {
    const scope = new Map<string, string>();
    const ancestors: Element[] = [];
    for (let p = element.parentNode; p && p.nodeType === ELEMENT_NODE; p = p.parentNode) ancestors.unshift(p as Element);
    for (const a of ancestors) declare(a, scope);
    const inheritedXmlAttrs = this.options.exclusive ? [] : inheritedXmlAttributes(ancestors);
    this.element(element, scope, new Map(), inheritedXmlAttrs);
  }

  /**
   * `scope`: namespaces in scope at the parent. `rendered`: namespaces as the nearest output ancestor
   * rendered them (what exclusive c14n compares against; for inclusive c14n it equals `scope`, since
   * node-sets here are whole subtrees and the output parent is the DOM parent).
   */
  private element(e: Element, parentScope: Namespaces, parentRendered: Namespaces, extraAttrs: readonly Attr[] = []): void {
    const scope = new Map(parentScope);
    declare(e, scope);
    const rendered = new Map(parentRendered);
    const nsOut: [string, string][] = [];
    const consider = (prefix: string) => {
      const uri = scope.get(prefix) ?? '';
      const shown = rendered.get(prefix) ?? '';
      if (uri === shown && (rendered.has(prefix) || prefix === '')) return;
      nsOut.push([prefix, uri]);
      rendered.set(prefix, uri);
    };
    if (this.options.exclusive) {
      const used = new Set<string>([e.prefix ?? '']);
      for (const a of attributes(e)) if (a.prefix && a.namespaceURI !== XML_NS) used.add(a.prefix);
      for (const p of this.inclusivePrefixes) if (scope.has(p)) used.add(p);
      for (const p of used) consider(p);
    } else {
      for (const p of scope.keys()) consider(p);
      // An undeclared default namespace (xmlns="") shows only if the parent rendered a non-empty one.
      if (!scope.has('') && (rendered.get('') ?? '') !== '') consider('');
    }
    nsOut.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

    const attrs = [...attributes(e), ...extraAttrs.filter((x) => !e.hasAttributeNS(XML_NS, localName(x)))];
    attrs.sort(compareAttributes);

    this.out.push('<', e.nodeName);
    for (const [prefix, uri] of nsOut) this.out.push(prefix ? ` xmlns:${prefix}="` : ' xmlns="', escapeAttribute(uri), '"');
    for (const a of attrs) this.out.push(' ', a.nodeName, '="', escapeAttribute(a.value), '"');
    this.out.push('>');
    for (let n = e.firstChild; n; n = n.nextSibling) {
      if (this.options.exclude?.(n)) continue;
      if (n.nodeType === ELEMENT_NODE) this.element(n as Element, scope, this.options.exclusive ? rendered : scope);
      else this.leaf(n);
    }
    this.out.push('</', e.nodeName, '>');
  }

  private leaf(n: Node): void {
    switch (n.nodeType) {
      case TEXT_NODE:
      case CDATA_SECTION_NODE:
        this.out.push(escapeText(n.nodeValue ?? ''));
        break;
      case COMMENT_NODE:
        if (this.options.withComments) this.out.push('<!--', n.nodeValue ?? '', '-->');
        break;
      case PROCESSING_INSTRUCTION_NODE: {
        const pi = n as Node & { target: string; data: string };
        if (pi.target === 'xml') break; // xmldom keeps the XML declaration as a PI; it is not one
        this.out.push('<?', pi.target, pi.data ? ` ${pi.data}` : '', '?>');
        break;
      }
    }
  }
}

/** Non-namespace attributes (namespace declarations are rendered from the scope instead). */
function attributes(e: Element): Attr[] {
  const out: Attr[] = [];
  for (let i = 0; i < e.attributes.length; i++) {
    const a = e.attributes.item(i);
    if (a && a.namespaceURI !== XMLNS_NS) out.push(a);
  }
  return out;
}

function declare(e: Element, scope: Map<string, string>): void {
  for (let i = 0; i < e.attributes.length; i++) {
    const a = e.attributes.item(i);
    if (!a || a.namespaceURI !== XMLNS_NS) continue;
    const prefix = a.prefix === 'xmlns' ? localName(a) : '';
    if (prefix === 'xml') continue;
    if (prefix === '' && a.value === '') scope.delete('');
    else scope.set(prefix, a.value);
  }
}

/** Inclusive c14n 1.0 §2.4: xml:lang, xml:space… of ancestors outside the node-set land on the apex. */
function inheritedXmlAttributes(ancestors: readonly Element[]): Attr[] {
  const byName = new Map<string, Attr>();
  for (const a of ancestors) for (const attr of attributes(a)) if (attr.namespaceURI === XML_NS) byName.set(localName(attr), attr);
  return [...byName.values()];
}

/** No-namespace attributes first by local name, then by namespace URI, then local name (c14n §2.2). */
function compareAttributes(a: Attr, b: Attr): number {
  const an = a.namespaceURI ?? '';
  const bn = b.namespaceURI ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  const al = localName(a);
  const bl = localName(b);
  return al < bl ? -1 : al > bl ? 1 : 0;
}

/** xmldom types localName as nullable; parsed attributes always have one. */
function localName(a: Attr): string {
  return a.localName ?? a.nodeName;
}

function escapeText(s: string): string {
  return s.replace(/[&<>\r]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' })[ch] as string);
}

function escapeAttribute(s: string): string {
  return s.replace(/[&<"\t\n\r]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' })[ch] as string);
}
