/**
 * Puts the signature into the caller's text instead of re-serialising the DOM: the document's bytes
 * stay exactly as given (a serialiser would rewrite quotes, character references and line breaks in
 * attributes, and could change what the digest covers). Only the XML declaration is replaced by
 * NCALayer's. The text has already been parsed as well-formed, so a small markup scanner suffices.
 */
import { QtError } from '@qoltanba/errors';

export const NCALAYER_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>';

/** Replaces any XML declaration (and the whitespace after it) with NCALayer's. */
export function withNcaLayerDeclaration(xml: string): string {
  const body = xml.replace(/^\uFEFF?(<\?xml\s[^?]*\?>)?\s*/, '');
  return NCALAYER_XML_DECLARATION + body;
}

/**
 * Inserts `markup` as the last content of the `ordinal`-th element (0-based, document order), turning
 * an empty-element tag `<a/>` into `<a>markup</a>`.
 */
export function insertIntoElement(xml: string, ordinal: number, markup: string): string {
  let seen = -1;
  let depth = 0;
  let targetDepth = -1;
  let i = 0;
  while ((i = xml.indexOf('<', i)) !== -1) {
    if (xml.startsWith('<!--', i)) i = skipPast(xml, i, '-->');
    else if (xml.startsWith('<![CDATA[', i)) i = skipPast(xml, i, ']]>');
    else if (xml.startsWith('<?', i)) i = skipPast(xml, i, '?>');
    else if (xml.startsWith('<!', i)) throw scanError('a DOCTYPE');
    else if (xml.startsWith('</', i)) {
      depth--;
      if (depth === targetDepth) return xml.slice(0, i) + markup + xml.slice(i);
      i = skipPast(xml, i, '>');
    } else {
      const end = startTagEnd(xml, i);
      const selfClosing = xml[end - 1] === '/';
      seen++;
      if (seen === ordinal) {
        if (selfClosing) {
          const name = /^<([^\s/>]+)/.exec(xml.slice(i))?.[1] as string;
          return `${xml.slice(0, end - 1).trimEnd()}>${markup}</${name}>${xml.slice(end + 1)}`;
        }
        targetDepth = depth;
      }
      if (!selfClosing) depth++;
      i = end + 1;
    }
  }
  throw scanError(`element #${ordinal}`);
}

/** Index of the '>' closing the start tag at `from`, skipping quoted attribute values. */
function startTagEnd(xml: string, from: number): number {
  let quote: string | undefined;
  for (let i = from + 1; i < xml.length; i++) {
    const ch = xml[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '>') return i;
  }
  throw scanError('the end of a start tag');
}

function skipPast(xml: string, from: number, terminator: string): number {
  const at = xml.indexOf(terminator, from);
  if (at === -1) throw scanError(terminator);
  return at + terminator.length;
}

function scanError(what: string): QtError {
  // Unreachable for text the parser accepted; kept as a guard rather than a silent wrong insertion.
  return new QtError('QT_ERR_XML_MALFORMED', `The XML text could not be scanned for ${what}`);
}
