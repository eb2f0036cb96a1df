/** What the demo's own page says, kk / ru / en (the banner on every page is in the portal's catalog). */
import { createTranslator, defineMessages, mergeCatalogs, type Locale, type Translator } from '@qoltanba/i18n';
import { portalMessages } from '../portal/messages.ts';

const demo = defineMessages({
  'demo.sms.title': { kk: 'Жіберілген SMS (демонстрация)', ru: 'Отправленные SMS (демонстрация)', en: 'SMS sent (demo)' },
  'demo.sms.intro': {
    kk: 'Демонстрацияда SMS ешкімге жіберілмейді: шлюз оларды осында және сервер терминалында көрсетеді. Кодты осы жерден алып, бетке енгізіңіз.',
    ru: 'В демонстрации SMS никуда не отправляются: шлюз показывает их здесь и в терминале сервера. Возьмите код отсюда и введите его на странице.',
    en: 'In the demo no SMS leaves this machine: the gateway shows them here and in the server terminal. Take the code from here and type it on the page.',
  },
  'demo.sms.caption': { kk: 'Соңғы хабарлар, ең жаңасы бірінші', ru: 'Последние сообщения, сначала новые', en: 'Latest messages, newest first' },
  'demo.sms.time': { kk: 'Уақыты', ru: 'Время', en: 'Time' },
  'demo.sms.phone': { kk: 'Телефон', ru: 'Телефон', en: 'Phone' },
  'demo.sms.text': { kk: 'Мәтін', ru: 'Текст', en: 'Text' },
  'demo.sms.none': { kk: 'Әзірге SMS жоқ.', ru: 'SMS пока не было.', en: 'No SMS yet.' },
  'demo.sms.refresh': { kk: 'Жаңарту', ru: 'Обновить', en: 'Refresh' },
});

export const demoMessages = mergeCatalogs(portalMessages, demo);

const translators = new Map<Locale, Translator>();

export function demoTranslator(locale: Locale): Translator {
  let t = translators.get(locale);
  if (!t) translators.set(locale, (t = createTranslator(demoMessages, locale)));
  return t;
}
