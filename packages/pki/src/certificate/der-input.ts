/**
 * Turns what callers hand us (DER bytes, PEM text, bare base64) into DER for one structure, with the
 * size cap and strict framing every parser here applies, and one error code for the structure.
 */
import { QtError, isQtError, type QtErrorCode } from '@qoltanba/errors';
import { fromBase64, parsePemBlocks, toBytes, type Bytes } from '../encoding.ts';
import { assertStrictDer } from '../names/index.ts';

export type DerInput = Uint8Array | ArrayBuffer | string;

export interface DerInputOptions {
  /** Error code for anything wrong with the input. */
  code: QtErrorCode;
  /** What the structure is called in messages, e.g. "certificate". */
  what: string;
  /** PEM labels accepted, preferred first; other blocks in the text are skipped. */
  pemLabels: readonly string[];
  maxBytes: number;
}

function pemBlock(text: string, labels: readonly string[]): Bytes | undefined {
  const blocks = parsePemBlocks(text);
  for (const label of labels) {
    const block = blocks.find((b) => b.label === label);
    if (block) return block.der;
  }
  return undefined;
}

/** DER bytes as given, or the text's PEM block (anywhere in it) or bare base64. */
function decodeInput(input: DerInput, labels: readonly string[], code: QtErrorCode): Bytes {
  if (typeof input !== 'string') {
    const bytes = toBytes(input);
    // A DER structure here always starts with SEQUENCE; anything else is read as text.
    if (bytes[0] === 0x30 || bytes.length === 0) return bytes;
    input = new TextDecoder().decode(bytes);
  }
  if (!input.includes('-----BEGIN ')) return fromBase64(input.trim());
  const block = pemBlock(input, labels);
  if (!block) throw new QtError(code, `No ${labels.map((l) => `"${l}"`).join(' or ')} PEM block was found`);
  return block;
}

export function readDer(input: DerInput, options: DerInputOptions): Bytes {
  const { code, what } = options;
  const tooLarge = () => new QtError('QT_ERR_TOO_LARGE', `The ${what} is larger than ${options.maxBytes} bytes`, { maxBytes: options.maxBytes });
  // Checked before decoding so a huge upload costs nothing; text (PEM, base64) is larger than its DER.
  if ((typeof input === 'string' ? input.length : input.byteLength) > options.maxBytes * 2) throw tooLarge();
  try {
    const der = decodeInput(input, options.pemLabels, code);
    if (der.length > options.maxBytes) throw tooLarge();
    if (der.length === 0) throw new QtError(code, `The ${what} is empty`);
    assertStrictDer(der, what);
    return der;
  } catch (e) {
    if (isQtError(e, 'QT_ERR_TOO_LARGE') || isQtError(e, code)) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new QtError(code, `The ${what} cannot be read: ${message}`, isQtError(e) ? { cause: e.code } : undefined, { cause: e });
  }
}
