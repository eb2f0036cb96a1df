/** The product's vocabulary (DESIGN §7): every surface uses these exact words. */
import { defineMessages } from '../translate.ts';

export const words = defineMessages({
  'word.eds': { ru: 'ЭЦП', kk: 'ЭЦҚ', en: 'EDS' },
  'word.edsLong': { ru: 'электронная цифровая подпись', kk: 'электрондық цифрлық қолтаңба', en: 'electronic digital signature' },
  'word.personalAccount': { ru: 'Личный кабинет', kk: 'Жеке кабинет', en: 'Personal account' },
  'word.refreshKeys': { ru: 'Обновить список ключей', kk: 'Кілттер тізімін жаңарту', en: 'Refresh key list' },
  'word.myKeys': { ru: 'Мои ключи ЭЦП', kk: 'Менің ЭЦҚ кілттерім', en: 'My EDS keys' },
  'word.reissue': { ru: 'Перевыпуск ключей ЭЦП', kk: 'ЭЦҚ кілттерін қайта шығару', en: 'Re-issue EDS keys' },
  'word.submitApplication': { ru: 'Подать заявку', kk: 'Өтінім беру', en: 'Submit application' },
  'word.sign': { ru: 'Подписать', kk: 'Қол қою', en: 'Sign' },
  'word.downloadCertificates': { ru: 'Загрузить сертификаты', kk: 'Сертификаттарды жүктеу', en: 'Download certificates' },
  'word.revoke': { ru: 'Отозвать', kk: 'Кері қайтарып алу', en: 'Revoke' },
  'word.remoteIssuance': { ru: 'Получение ЭЦП удалённо', kk: 'ЭЦҚ-ны қашықтан алу', en: 'Get EDS remotely' },
  'word.serviceCentre': { ru: 'ЦОН', kk: 'ХҚКО', en: 'Public service centre' },
  'word.serviceCentreLong': { ru: 'центр обслуживания населения', kk: 'халыққа қызмет көрсету орталығы', en: 'public service centre' },
  'word.mobileCitizens': { ru: 'База мобильных граждан', kk: 'Мобильді азаматтар базасы', en: 'Mobile citizens database' },
  'word.idCard': { ru: 'Удостоверение личности', kk: 'Жеке куәлік', en: 'ID card' },
  'word.storage': { ru: 'Хранилище ключей', kk: 'Кілттер қоймасы', en: 'Key storage' },
  'word.storage.computer': { ru: 'компьютер', kk: 'компьютер', en: 'computer' },
  'word.storage.token': { ru: 'токен', kk: 'токен', en: 'token' },
  'word.storage.idCard': { ru: 'удостоверение личности', kk: 'жеке куәлік', en: 'ID card' },
  'word.days': {
    ru: { one: '{count} день', few: '{count} дня', many: '{count} дней', other: '{count} дня' },
    kk: { other: '{count} күн' },
    en: { one: '{count} day', other: '{count} days' },
  },
  'word.passwordRule': {
    ru: 'Пароль должен содержать латинские буквы нижнего и верхнего регистров, а также цифры. Минимальная длина пароля — 6 символов.',
    kk: 'Құпиясөзде кіші және бас латын әріптері мен цифрлар болуы тиіс. Құпиясөздің ең аз ұзындығы — 6 таңба.',
    en: 'The password must contain lower-case and upper-case Latin letters and digits. Minimum length: 6 characters.',
  },
});
