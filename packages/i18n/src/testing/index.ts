/** Test helper: a catalog is complete when every key exists in kk, ru and en with the same placeholders. */
import assert from 'node:assert/strict';
import type { Catalogs, Message } from '../translate.ts';

function placeholders(m: Message): string[] {
  const texts = typeof m === 'string' ? [m] : Object.values(m);
  return [...new Set(texts.flatMap((t) => [...(t ?? '').matchAll(/\{(\w+)\}/g)].map((x) => x[1] as string)))].sort();
}

export function assertCatalogComplete(catalogs: Catalogs): void {
  const keys = new Set([...Object.keys(catalogs.kk), ...Object.keys(catalogs.ru), ...Object.keys(catalogs.en)]);
  for (const key of keys) {
    const [kk, ru, en] = [catalogs.kk[key], catalogs.ru[key], catalogs.en[key]];
    assert.ok(kk && ru && en, `${key} is missing in a language`);
    assert.deepEqual(placeholders(kk), placeholders(ru), `${key}: kk and ru placeholders differ`);
    assert.deepEqual(placeholders(en), placeholders(ru), `${key}: en and ru placeholders differ`);
  }
}

