/**
 * A small bounded cache of facts computed from bytes (a CA or responder certificate), found again by
 * equal content — never by object identity, so a caller that reuses or mutates its buffer can never get
 * facts about other bytes. Lookups hash the input (FNV-1a) and then compare it in full with a private copy.
 */
import { bytesEqual } from './encoding.ts';

export type MemoInput = Uint8Array | ArrayBuffer | string;

interface Entry<T> {
  input: Uint8Array | string;
  value: T;
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h >>> 0;
}

export class ContentMemo<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly capacity: number) {}

  /** The value remembered for exactly these bytes, removed from the memo (a hand-over used once), if any. */
  take(input: MemoInput): T | undefined {
    const content = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
    const key = this.keyOf(content);
    const hit = this.entries.get(key);
    if (!hit || !this.same(hit, content)) return undefined;
    this.entries.delete(key);
    return hit.value;
  }

  /** Remembers a value for these bytes (a private copy of them), the oldest entry making room. */
  set(input: MemoInput, value: T): void {
    const content = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
    const key = this.keyOf(content);
    this.entries.delete(key);
    this.entries.set(key, { input: typeof content === 'string' ? content : content.slice(), value });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  private keyOf(content: Uint8Array | string): string {
    return typeof content === 'string' ? `s${content}` : `b${content.length}:${fnv1a(content)}`;
  }

  private same(hit: Entry<T>, content: Uint8Array | string): boolean {
    return typeof content === 'string' ? hit.input === content : typeof hit.input !== 'string' && bytesEqual(hit.input, content);
  }

  /** The value for these bytes (or this text), computing and remembering it on a miss; failures are not remembered. */
  get(input: MemoInput, compute: (input: MemoInput) => T): T {
    const content = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
    const key = this.keyOf(content);
    const hit = this.entries.get(key);
    if (hit && this.same(hit, content)) {
      // Most recently used goes last; the first entry is the one evicted.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = compute(input);
    this.set(content, value);
    return value;
  }
}
