/**
 * One question to the user: who asks, what for, and the answer. The session owns the one-time id of its
 * page, the CSRF token of its form, the count of password attempts, and the promise the calling request
 * waits on. A flow (pick a key, create keys, install certificates) drives the steps in between.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { QtError, type QtErrorCode } from '@qoltanba/pki';
import type { Locale, Params } from '@qoltanba/i18n';
import type { Html } from '../ui/html.ts';
import type { PageContext } from '../ui/page.ts';
import type { DocumentPreview } from './preview.ts';

export type ConsentPurpose =
  | {
      kind: 'sign';
      documents: readonly DocumentPreview[];
      format: 'cms' | 'xml';
      attached?: boolean;
      /** The file on this computer the site named (createCMSSignatureFromFile): shown with its full path. */
      sourceFile?: string;
      /** Co-signing: who signed the document before (their certificates' names), shown before the key is picked. */
      earlierSigners?: readonly string[];
      /** A time-stamp from this TSA will be added (the signature value's hash is sent to it). */
      timeStampFrom?: string;
    }
  | { kind: 'keyInfo' }
  | { kind: 'generate' }
  | { kind: 'install' }
  /** Only the question whether a site not seen before may use the agent. */
  | { kind: 'site' };

/** A consent form posted back, already checked for origin and CSRF. */
export interface ConsentForm {
  action: string;
  get(name: string): string | undefined;
  file(name: string): Uint8Array | undefined;
}

export interface ConsentFlow<T> {
  /** The step's content (storage choice, key list, …); async because listing tokens asks the PKCS#11 module. */
  render(session: ConsentSession<T>, page: PageContext): Promise<Html>;
  /** Acts on a posted form; may finish the session. "cancel" is handled before the flow sees the form. */
  handle(session: ConsentSession<T>, form: ConsentForm): Promise<void>;
  /** Forgets unlocked keys and secrets; called exactly once when the session finishes. */
  dispose(): Promise<void>;
}

export interface FinalMessage {
  key: string;
  params?: Params;
  ok: boolean;
}

function token(): string {
  return randomBytes(32).toString('base64url');
}

export class ConsentSession<T> {
  /** 256 random bits: the page URL is the only way in, so it must not be guessable. */
  readonly id = token();
  readonly csrf = token();
  readonly createdAt = Date.now();
  /** Shown once above the form, e.g. "wrong password, 2 attempts left". */
  flash: { key: string; params?: Params } | undefined;
  final: FinalMessage | undefined;
  busy = false;
  private settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
  readonly outcome: Promise<T>;

  constructor(
    readonly origin: string,
    public locale: Locale,
    readonly purpose: ConsentPurpose,
    readonly flow: ConsentFlow<T>,
    public attemptsLeft: number,
  ) {
    this.outcome = new Promise<T>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // The caller may stop listening (connection closed) before we settle; never leave a rejection unhandled.
    this.outcome.catch(() => {});
  }

  get finished(): boolean {
    return this.final !== undefined;
  }

  csrfMatches(candidate: string | undefined): boolean {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  succeed(value: T, message: FinalMessage): void {
    if (this.finished) return;
    this.final = message;
    this.settle.resolve(value);
    void this.flow.dispose();
  }

  /** Ends the request with an error; `cause` (when given) is what the caller's reply is built from. */
  fail(code: QtErrorCode, messageKey: string, params?: Params, cause?: unknown): void {
    if (this.finished) return;
    this.final = { key: messageKey, params, ok: false };
    this.settle.reject(cause ?? new QtError(code));
    void this.flow.dispose();
  }

  /** Counts a wrong password/PIN; after the last attempt the request is refused. */
  wrongSecret(): void {
    this.attemptsLeft -= 1;
    if (this.attemptsLeft <= 0) {
      this.fail('QT_ERR_AGENT_PASSWORD_ATTEMPTS', 'result.attempts');
    } else {
      this.flash = { key: 'error.wrongSecret', params: { count: this.attemptsLeft } };
    }
  }
}
