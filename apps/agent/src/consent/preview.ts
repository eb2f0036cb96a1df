/**
 * What the user is shown of each document before signing. Text is shown as text (truncated), anything else
 * by size and SHA-256 so it can be compared with what the site displays; a bare digest is called a digest.
 */
import { createHash } from 'node:crypto';

export const PREVIEW_CHARS = 3000;

export type DocumentPreview =
  | { kind: 'text' | 'xml'; size: number; text: string; total: number }
  | { kind: 'binary'; size: number; sha256: string }
  | { kind: 'digest'; algorithm: string; hex: string };

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function truncated(kind: 'text' | 'xml', size: number, text: string): DocumentPreview {
  const chars = [...text];
  return { kind, size, text: chars.slice(0, PREVIEW_CHARS).join(''), total: chars.length };
}

/** Control characters other than tab/newline mean "not something a person reads". */
const UNREADABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export function previewBytes(bytes: Uint8Array): DocumentPreview {
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = undefined;
  }
  if (text === undefined || UNREADABLE.test(text)) return { kind: 'binary', size: bytes.length, sha256: sha256Hex(bytes) };
  return truncated('text', bytes.length, text);
}

export function previewXml(xml: string): DocumentPreview {
  return truncated('xml', Buffer.byteLength(xml, 'utf8'), xml);
}

export function previewDigest(digest: Uint8Array, algorithm: string): DocumentPreview {
  return { kind: 'digest', algorithm, hex: Buffer.from(digest).toString('hex') };
}
