/**
 * The consent page answered over plain HTTP, for protocol tests that need a person's answer but no browser:
 * read the page, post its form with the CSRF token the page carries and the agent's own Origin, exactly as the
 * page's form would. (Browser tests answer the same page in Chromium: consent-user.ts.)
 */
import { formBody, httpRequest, type HttpResult } from './http.ts';

export class ConsentAtHttp {
  constructor(readonly url: string) {}

  get ownOrigin(): string {
    return new URL(this.url).origin;
  }

  page(): Promise<HttpResult> {
    return httpRequest(this.url);
  }

  /** Posts the page's form with `action` and the given fields; resolves with the page shown afterwards. */
  async post(action: string, fields: Record<string, string> = {}): Promise<string> {
    const html = (await this.page()).body;
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!csrf) throw new Error(`the consent page has no form: ${html.slice(0, 400)}`);
    const form = formBody({ csrf, action, ...fields });
    const res = await httpRequest(this.url, {
      method: 'POST',
      body: form.body,
      headers: { ...form.headers, Origin: this.ownOrigin, 'Sec-Fetch-Site': 'same-origin' },
    });
    if (res.status !== 303) throw new Error(`the consent form was refused (${res.status}): ${res.body}`);
    return (await this.page()).body;
  }

  /** Unlocks the key file whose name contains `file` and signs with the only fitting key. */
  async unlockAndConfirm(file: string, password: string): Promise<string> {
    const html = (await this.page()).body;
    const choices = [...html.matchAll(/name="source" id="[^"]+" value="([^"]+)"[^>]*>\s*<label[^>]*>([\s\S]*?)<\/label>/g)];
    // The whole file name, not a part of it: RSA256_x.p12 is also the tail of AUTH_RSA256_x.p12.
    const named = new RegExp(`(^|[\\s:/])${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(<|\\s|$)`);
    const source = choices.find((m) => named.test(m[2] as string))?.[1];
    if (!source) throw new Error(`no key storage ${file} on the consent page`);
    const keys = await this.post('unlock', { source, secret: password });
    const key = /name="key" id="key-\d+" value="(\d+)"/.exec(keys)?.[1];
    if (!key) throw new Error(`no key to choose: ${keys.slice(keys.indexOf("<main>"), keys.indexOf("<main>") + 2500)}`);
    return this.post('confirm', { key });
  }
}
