/**
 * The test's "user" on the consent page: reads it, picks the key file or token, types the password or PIN and
 * presses the buttons, using the labels a person sees (Russian by default, as NCALayer's default language).
 */
import type { Page } from 'playwright-core';

export interface UnlockAnswer {
  /** A key file listed from the key folders, by (part of) its name; or `upload` to choose a file. */
  file?: string;
  upload?: string;
  /** A token by its label. */
  token?: string;
  secret: string;
}

export const ru = {
  continue: 'Далее',
  sign: 'Подписать',
  share: 'Передать сертификат',
  cancel: 'Отмена',
  secretAny: /Пароль|PIN/,
  back: 'Выбрать другое хранилище',
  create: 'Создать ключи',
  install: 'Установить сертификаты',
};

export async function unlockStorage(page: Page, answer: UnlockAnswer): Promise<void> {
  if (answer.upload) await page.setInputFiles('input[type=file]', answer.upload);
  else if (answer.file) await page.getByLabel(answer.file).check();
  else if (answer.token) await page.getByLabel(answer.token).check();
  await page.getByLabel(ru.secretAny).first().fill(answer.secret);
  await page.getByRole('button', { name: ru.continue }).click();
}

/** Confirms with the only (or the named) key; resolves once the agent has answered the page. */
export async function confirmKey(page: Page, options: { keyText?: string; button?: string } = {}): Promise<void> {
  if (options.keyText) await page.getByLabel(options.keyText).check();
  await page.getByRole('button', { name: options.button ?? ru.sign }).click();
  await page.locator('p.done, p.refused').waitFor();
}

export async function cancel(page: Page): Promise<void> {
  await page.getByRole('button', { name: ru.cancel }).click();
  await page.locator('p.done, p.refused').waitFor();
}

/** Unlock and sign in one go, the common case. */
export async function approve(page: Page, answer: UnlockAnswer, options: { keyText?: string; button?: string } = {}): Promise<void> {
  await unlockStorage(page, answer);
  await confirmKey(page, options);
}
