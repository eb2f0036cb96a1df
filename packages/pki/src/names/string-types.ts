/**
 * The ASN.1 string types a directory attribute value may use, and lossless conversion between their
 * bytes and JavaScript text. Lossless matters: re-encoding a decoded name must give the same bytes,
 * because names are compared byte for byte (issuer/subject chaining, CRL and OCSP issuer hashes).
 * Hand-written because asn1js decodes leniently (invalid UTF-8 silently becomes Latin-1), which
 * would break that guarantee.
 */
export type DnStringType = 'utf8' | 'printable' | 'ia5' | 'bmp' | 'universal' | 'teletex' | 'numeric' | 'visible';

/** Universal tag numbers of the string types. */
export const stringTypeTags: Readonly<Record<DnStringType, number>> = {
  utf8: 12,
  numeric: 18,
  printable: 19,
  teletex: 20,
  ia5: 22,
  visible: 26,
  universal: 28,
  bmp: 30,
};

export function stringTypeOfTag(tag: number): DnStringType | undefined {
  return (Object.keys(stringTypeTags) as DnStringType[]).find((t) => stringTypeTags[t] === tag);
}

/** Characters each ASCII type may hold (X.680). Teletex is read and written as Latin-1, as most CAs use it. */
const allowed: Partial<Record<DnStringType, RegExp>> = {
  printable: /^[A-Za-z0-9 '()+,\-./:=?]*$/,
  numeric: /^[0-9 ]*$/,
  ia5: /^[\x00-\x7f]*$/,
  visible: /^[\x20-\x7e]*$/,
  teletex: /^[\x00-\xff]*$/,
};

/** Can `text` be written as this string type? */
export function fitsStringType(text: string, type: DnStringType): boolean {
  const re = allowed[type];
  if (re) return re.test(text);
  if (type === 'bmp') return [...text].every((ch) => (ch.codePointAt(0) as number) <= 0xffff);
  return !LONE_SURROGATE.test(text);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text → content bytes. The caller checks `fitsStringType` first. */
export function encodeString(text: string, type: DnStringType): Uint8Array {
  switch (type) {
    case 'utf8':
      return new TextEncoder().encode(text);
    case 'bmp': {
      const out = new Uint8Array(text.length * 2);
      for (let i = 0; i < text.length; i++) {
        out[2 * i] = text.charCodeAt(i) >> 8;
        out[2 * i + 1] = text.charCodeAt(i) & 0xff;
      }
      return out;
    }
    case 'universal': {
      const points = [...text].map((ch) => ch.codePointAt(0) as number);
      const out = new Uint8Array(points.length * 4);
      const view = new DataView(out.buffer);
      points.forEach((p, i) => view.setUint32(4 * i, p));
      return out;
    }
    default:
      return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
  }
}

/** Content bytes → text, or undefined when the bytes are not a valid value of this type. */
export function decodeString(bytes: Uint8Array, type: DnStringType): string | undefined {
  let text: string;
  try {
    switch (type) {
      case 'utf8':
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
        break;
      case 'bmp':
        if (bytes.length % 2) return undefined;
        text = '';
        for (let i = 0; i < bytes.length; i += 2) text += String.fromCharCode(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
        break;
      case 'universal': {
        if (bytes.length % 4) return undefined;
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const points: number[] = [];
        for (let i = 0; i < bytes.length; i += 4) points.push(view.getUint32(i));
        text = String.fromCodePoint(...points);
        break;
      }
      default:
        text = Array.from(bytes, (b) => String.fromCharCode(b)).join('');
    }
  } catch {
    return undefined;
  }
  return fitsStringType(text, type) ? text : undefined;
}
