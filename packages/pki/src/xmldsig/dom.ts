/**
 * Strict XML parsing for signed documents (@xmldom/xmldom): every warning is an error, DOCTYPEs are
 * refused, and errors carry the line and column the way NCALayer reports a SAXParseException.
 */
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { QtError } from '@qoltanba/errors';

export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;
export const PROCESSING_INSTRUCTION_NODE = 7;
export const COMMENT_NODE = 8;
export const DOCUMENT_NODE = 9;

/** Documents NCALayer signs are forms and statements; anything past this is refused before parsing. */
export const DEFAULT_MAX_XML_CHARS = 16 * 1024 * 1024;

export interface XmlPosition {
  line: number;
  column: number;
}

export function parseXml(text: string, maxChars = DEFAULT_MAX_XML_CHARS): Document {
  if (text.length > maxChars) {
    throw new QtError('QT_ERR_TOO_LARGE', `The XML document is larger than ${maxChars} characters`, { maxChars });
  }
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let firstProblem: string | undefined;
  const parser = new DOMParser({
    // XML 1.0 line ends only (xmldom's default also folds U+0085/U+2028, which XML 1.0 keeps as text).
    normalizeLineEndings: (s: string) => s.replace(/\r\n?/g, '\n'),
    onError: (_level, message) => {
      firstProblem ??= message;
      throw new Error(message);
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(source, 'text/xml');
  } catch (e) {
    const locator = (e as { locator?: { lineNumber?: number; columnNumber?: number } }).locator;
    const message = firstProblem ?? (e as Error).message;
    // An unclosed element is only noticed at the end of the input, where NCALayer (Xerces) reports it.
    const atEnd = /unclosed xml tag|missing root element/i.test(message);
    const position =
      atEnd || !locator?.lineNumber ? positionOf(source, atEnd ? source.length : 0) : { line: locator.lineNumber, column: locator.columnNumber ?? 1 };
    throw malformed(message, position);
  }
  if (!doc.documentElement) throw malformed('the document has no root element', positionOf(source, source.length));
  // xmldom never expands declared entities, but a DTD still has no place in a signed document.
  const doctype = doc.doctype as (Node & { lineNumber?: number; columnNumber?: number }) | null;
  if (doctype) {
    throw malformed('a DOCTYPE is not allowed in a signed document', { line: doctype.lineNumber ?? 1, column: doctype.columnNumber ?? 1 });
  }
  return doc;
}

function positionOf(text: string, offset: number): XmlPosition {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

function malformed(reason: string, at: XmlPosition): QtError {
  return new QtError('QT_ERR_XML_MALFORMED', `The XML document is malformed at line ${at.line}, column ${at.column}: ${reason}`, {
    line: at.line,
    column: at.column,
    reason,
  });
}

export function isElement(node: Node | null | undefined): node is Element {
  return node?.nodeType === ELEMENT_NODE;
}

export function childElements(parent: Node): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (isElement(n)) out.push(n);
  return out;
}

/** Elements in document order (the order their start tags appear in the text). */
export function elementsInOrder(root: Node): Element[] {
  const out: Element[] = [];
  const walk = (n: Node) => {
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (isElement(c)) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(root);
  return out;
}

export function dsChild(parent: Element, localName: string): Element | undefined {
  return childElements(parent).find((e) => e.namespaceURI === XMLDSIG_NS && e.localName === localName);
}

export function dsChildren(parent: Element, localName: string): Element[] {
  return childElements(parent).filter((e) => e.namespaceURI === XMLDSIG_NS && e.localName === localName);
}
