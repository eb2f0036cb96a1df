/**
 * How a text becomes SMS parts. GSM 03.38 7-bit when every character is in the default alphabet (or its
 * extension table, which costs two septets: ESC + char), otherwise UCS-2 big-endian. Cyrillic — and so
 * every Kazakh letter (ә ғ қ ң ө ұ ү һ і) — is never GSM-7, so kk/ru texts are UCS-2: 70 characters in one
 * SMS, 67 per part once a 6-octet concatenation UDH takes its room (153 septets for GSM-7).
 * SMPP carries GSM-7 unpacked (one septet per octet); the SMSC packs it for the air interface.
 */
import { QtError } from '@qoltanba/pki';

const gsmBasic =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const gsmExtension: Readonly<Record<string, number>> = { '\f': 0x0a, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2f, '[': 0x3c, '~': 0x3d, ']': 0x3e, '|': 0x40, '€': 0x65 };
const ESC = 0x1b;

const basicCode = new Map<string, number>();
for (let i = 0; i < gsmBasic.length; i++) if (i !== ESC) basicCode.set(gsmBasic[i] as string, i);

export type SmsEncoding = 'gsm7' | 'ucs2';

/** SMPP data_coding: 0 = SMSC default alphabet (GSM 03.38), 8 = UCS-2. */
export const dataCodingOf: Readonly<Record<SmsEncoding, 0 | 8>> = { gsm7: 0, ucs2: 8 };

export const limits = {
  gsm7: { single: 160, part: 153 },
  ucs2: { single: 70, part: 67 },
} as const;

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!basicCode.has(ch) && gsmExtension[ch] === undefined) return false;
  return true;
}

/** The septets of one character (1, or 2 for the extension table). Caller has checked isGsm7. */
function gsmSeptets(ch: string): number[] {
  const basic = basicCode.get(ch);
  return basic !== undefined ? [basic] : [ESC, gsmExtension[ch] as number];
}

function ucs2Units(ch: string): Buffer {
  // UTF-16BE; a character outside the BMP (an emoji) stays a surrogate pair and is never split across parts.
  return Buffer.from(ch, 'utf16le').swap16();
}

export interface SmsPlan {
  readonly encoding: SmsEncoding;
  readonly dataCoding: 0 | 8;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the whole text takes. */
  readonly length: number;
  /** The encoded text of each part, without UDH. One element when the text fits a single SMS. */
  readonly parts: readonly Buffer[];
}

/** Splits `text` into SMS parts; QT_ERR_SMS_TOO_LONG when it needs more than `maxParts` (permanent: it will not shrink). */
export function planSms(text: string, maxParts = 10): SmsPlan {
  const encoding: SmsEncoding = isGsm7(text) ? 'gsm7' : 'ucs2';
  const unitBytes = encoding === 'gsm7' ? 1 : 2;
  const chunks = [...text].map((ch) => (encoding === 'gsm7' ? Buffer.from(gsmSeptets(ch)) : ucs2Units(ch)));
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const length = total / unitBytes;
  const { single, part } = limits[encoding];
  let parts: Buffer[];
  if (length <= single) {
    parts = [Buffer.concat(chunks)];
  } else {
    parts = [];
    let current: Buffer[] = [];
    let used = 0;
    for (const c of chunks) {
      if (used + c.length > part * unitBytes) {
        parts.push(Buffer.concat(current));
        current = [];
        used = 0;
      }
      current.push(c);
      used += c.length;
    }
    parts.push(Buffer.concat(current));
  }
  if (parts.length > maxParts) {
    throw new QtError('QT_ERR_SMS_TOO_LONG', `The SMS text needs ${parts.length} parts; at most ${maxParts} are allowed`, {
      permanent: true,
      transport: 'sms',
      parts: parts.length,
      maxParts,
    });
  }
  return { encoding, dataCoding: dataCodingOf[encoding], length, parts };
}

/** Number of SMS parts `text` is billed as. */
export function countSmsParts(text: string): number {
  return planSms(text, Number.MAX_SAFE_INTEGER).parts.length;
}

/**
 * The concatenation UDH (3GPP TS 23.040 §9.2.3.24.1): UDHL=5, IEI 0x00 (8-bit reference), IEDL=3, reference,
 * total parts, this part's 1-based number. The handset reassembles parts sharing (sender, reference, total).
 */
export function concatenationUdh(reference: number, total: number, sequence: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, sequence]);
}
