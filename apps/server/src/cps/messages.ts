/** What /cps says, kk / ru / en side by side (formal Kazakh, "Сіз"; DESIGN §7 words). */
import { createTranslator, defineMessages, mergeCatalogs, type Locale, type Translator } from '@qoltanba/i18n';
import { portalMessages } from '../portal/messages.ts';

const cps = defineMessages({
  'cps.title': {
    kk: 'Куәландырушы орталықтың регламенті (қысқаша)',
    ru: 'Регламент удостоверяющего центра (краткое изложение)',
    en: 'Certification practice statement (summary)',
  },
  'cps.intro': {
    kk: 'Бұл бетте осы куәландырушы орталық ЭЦҚ сертификаттарын кімге және қалай беретіні, кілттер қалай сақталатыны және сертификаттар қалай кері қайтарып алынатыны айтылады. Әр сертификат осы бетке сілтейді.',
    ru: 'Здесь сказано, кому и как этот удостоверяющий центр выдаёт сертификаты ЭЦП, как хранятся ключи и как сертификаты отзываются. Каждый сертификат ссылается на эту страницу.',
    en: 'This page says to whom and how this certification authority issues EDS certificates, how keys are kept and how certificates are revoked. Every certificate points to this page.',
  },
  'cps.contacts': { kk: 'Байланыс', ru: 'Контакты', en: 'Contacts' },
  'cps.contacts.organization': { kk: 'Ұйым', ru: 'Организация', en: 'Organisation' },
  'cps.contacts.address': { kk: 'Мекенжай', ru: 'Адрес', en: 'Address' },
  'cps.contacts.email': { kk: 'Электрондық пошта', ru: 'Электронная почта', en: 'E-mail' },
  'cps.contacts.phone': { kk: 'Телефон', ru: 'Телефон', en: 'Phone' },
  'cps.contacts.website': { kk: 'Сайт', ru: 'Сайт', en: 'Website' },
  'cps.contacts.none': {
    kk: 'Байланыс деректері әлі көрсетілмеген (server.json файлындағы «cps» бөлімі).',
    ru: 'Контакты ещё не указаны (раздел «cps» файла server.json).',
    en: 'No contacts have been configured yet ("cps" in server.json).',
  },
  'cps.cas': { kk: 'Куәландырушы орталықтар және тексеру мекенжайлары', ru: 'Удостоверяющие центры и адреса проверки', en: 'Certification authorities and where to check' },
  'cps.cas.caption': {
    kk: 'Сертификаттар беретін орталықтар, олардың сертификаттары, кері қайтарылған сертификаттар тізімдері (CRL) және OCSP',
    ru: 'Центры, выдающие сертификаты, их сертификаты, списки отозванных сертификатов (CRL) и OCSP',
    en: 'The issuing authorities, their certificates, certificate revocation lists (CRL) and OCSP',
  },
  'cps.col.ca': { kk: 'Орталық', ru: 'Центр', en: 'Authority' },
  'cps.col.valid': { kk: 'Жарамды', ru: 'Действует', en: 'Valid' },
  'cps.col.addresses': { kk: 'Мекенжайлар', ru: 'Адреса', en: 'Addresses' },
  'cps.validRange': { kk: '{from} — {until}', ru: 'с {from} по {until}', en: '{from} to {until}' },
  'cps.link.certificate': { kk: 'сертификат', ru: 'сертификат', en: 'certificate' },
  'cps.link.crl': { kk: 'CRL', ru: 'CRL', en: 'CRL' },
  'cps.link.delta': { kk: 'дельта-CRL', ru: 'дельта-CRL', en: 'delta CRL' },
  'cps.link.ocsp': { kk: 'OCSP', ru: 'OCSP', en: 'OCSP' },
  'cps.certificates': { kk: 'Сертификаттар және олардың мерзімі', ru: 'Сертификаты и срок их действия', en: 'Certificates and how long they are valid' },
  'cps.certificates.pair': {
    kk: 'Әр адамға екі сертификат беріледі: аутентификацияға (AUTH) және қол қоюға (SIGN). Олардың ішінде ЖСН, тегі мен аты, рөлі және сәйкестендіру тәсілі болады.',
    ru: 'Каждому человеку выдаются два сертификата: для аутентификации (AUTH) и для подписи (SIGN). В них записаны ИИН, фамилия и имя, роль и способ идентификации.',
    en: 'Each person gets two certificates: one for authentication (AUTH) and one for signing (SIGN). They carry the IIN, the name, the role and how the person was identified.',
  },
  'cps.validity.file': {
    kk: 'Кілт компьютердегі файлда болса — {period}.',
    ru: 'Ключ в файле на компьютере — {period}.',
    en: 'Key in a file on a computer: {period}.',
  },
  'cps.validity.token': {
    kk: 'Кілт токенде немесе жеке куәлікте болса — {period}.',
    ru: 'Ключ на токене или удостоверении личности — {period}.',
    en: 'Key on a token or ID card: {period}.',
  },
  'cps.years': {
    ru: { one: '{count} год', few: '{count} года', many: '{count} лет', other: '{count} года' },
    kk: { other: '{count} жыл' },
    en: { one: '{count} year', other: '{count} years' },
  },
  'cps.policies': {
    kk: 'Саясаттар (OID): жеке тұлғаның қолтаңбасы {sign}, аутентификациясы {auth}; заңды тұлғаның қолтаңбасы {legalSign}, аутентификациясы {legalAuth}.',
    ru: 'Политики (OID): подпись физического лица {sign}, аутентификация {auth}; подпись юридического лица {legalSign}, аутентификация {legalAuth}.',
    en: 'Policies (OID): individual signing {sign}, authentication {auth}; legal entity signing {legalSign}, authentication {legalAuth}.',
  },
  'cps.storage': { kk: 'Кілттер қалай сақталады', ru: 'Как хранятся ключи', en: 'How keys are kept' },
  'cps.storage.own': {
    kk: 'Жабық кілт Сіздің компьютеріңізде қол қою агентінде жасалады және оны ешқашан тастамайды: орталық тек ашық кілтті алады. Кілттер қоймасы: компьютер (құпиясөзбен қорғалған PKCS#12 файлы), токен немесе жеке куәлік.',
    ru: 'Закрытый ключ создаётся агентом подписи на вашем компьютере и никогда его не покидает: центр получает только открытый ключ. Хранилище ключей: компьютер (файл PKCS#12 под паролем), токен или удостоверение личности.',
    en: 'The private key is made by the signing agent on your computer and never leaves it: the authority receives only the public key. Key storage: computer (a password-protected PKCS#12 file), token or ID card.',
  },
  'cps.storage.password': {
    kk: 'Кілт файлының құпиясөзі: латынның кіші және бас әріптері мен цифрлар, кемінде 6 таңба. Құпиясөзді тек агенттің өз бетінде тересіз, порталда ешқашан емес.',
    ru: 'Пароль файла ключа: латинские строчные и прописные буквы и цифры, не менее 6 символов. Пароль вводится только на странице самого агента, никогда на портале.',
    en: "Key file password: Latin lower- and upper-case letters and digits, at least 6 characters. You type it only in the agent's own page, never in the portal.",
  },
  'cps.storage.ca': {
    kk: 'Орталықтың өз кілттері тек қол қою қызметінде (шифрланған файлда немесе HSM-де) сақталады және одан шықпайды.',
    ru: 'Собственные ключи центра хранятся только в службе подписи (в зашифрованном файле или в HSM) и её не покидают.',
    en: "The authority's own keys are kept only by its signing service (encrypted, or in an HSM) and never leave it.",
  },
  'cps.identification': { kk: 'Адамды сәйкестендіру', ru: 'Идентификация заявителя', en: 'How applicants are identified' },
  'cps.identification.inPerson': {
    kk: 'Жеке өзі: ХҚКО-да жеке куәлік бойынша (сертификатта {oid}).',
    ru: 'Лично: в ЦОНе по удостоверению личности (в сертификате {oid}).',
    en: 'In person: at a Public service centre, with the ID card (in the certificate: {oid}).',
  },
  'cps.identification.remote': {
    kk: 'Қашықтан: ЖСН халықты тіркеу деректерімен тексеріледі, SMS коды Мобильді азаматтар базасындағы телефонға жіберіледі, құжат нөмірі мен берілген күні тіркеу деректерімен салыстырылады, ал бетті оператор құжат суретімен салыстырады (ең көбі {faces} әрекет; сертификатта {oid}).',
    ru: 'Удалённо: ИИН проверяется по данным регистрации населения, код из SMS приходит на телефон из Базы мобильных граждан, номер и дата выдачи документа сверяются с регистрацией, а лицо оператор сравнивает с фотографией документа (не больше {faces} попыток; в сертификате {oid}).',
    en: 'Remotely: the IIN is checked against the population registry, a one-time code goes by SMS to the phone in the Mobile citizens database, the document number and issue date must match the registry, and an operator compares the face with the document photo (at most {faces} attempts; in the certificate: {oid}).',
  },
  'cps.identification.reissue': {
    kk: 'Қайта шығару: қолданыстағы жарамды кілтпен қол қойылған өтінім және SMS коды.',
    ru: 'Перевыпуск: заявка, подписанная действующим ключом, и код из SMS.',
    en: 'Re-issuance: an application signed with the current valid key, and a one-time SMS code.',
  },
  'cps.revocation': { kk: 'Кері қайтарып алу', ru: 'Отзыв', en: 'Revocation' },
  'cps.revocation.how': {
    kk: 'Сертификатты Жеке кабинетте кілтпен қол қойып кері қайтарып алуға болады (кілт жоғалса немесе басқа біреу білсе — «кілт бұзылды» себебімен), немесе ХҚКО-ға жүгініңіз.',
    ru: 'Сертификат можно отозвать в Личном кабинете, подтвердив подписью ключа (при утере ключа или если он стал известен другим — с причиной «компрометация ключа»), или обратиться в ЦОН.',
    en: 'A certificate can be revoked in the Personal account, confirmed by signing with the key (if the key is lost or known to someone else, with the reason "key compromise"), or at a Public service centre.',
  },
  'cps.revocation.ocsp': {
    kk: 'OCSP кері қайтаруды бірден көрсетеді. Толық CRL әр {full} сайын, дельта-CRL әр {delta} сайын және кері қайтарудан кейін көп ұзамай жарияланады.',
    ru: 'OCSP показывает отзыв сразу. Полный CRL публикуется раз в {full}, дельта-CRL — раз в {delta} и вскоре после отзыва.',
    en: 'OCSP shows a revocation at once. The full CRL is published every {full}, the delta CRL every {delta} and shortly after a revocation.',
  },
  'cps.hours': {
    ru: { one: '{count} час', few: '{count} часа', many: '{count} часов', other: '{count} часа' },
    kk: { other: '{count} сағат' },
    en: { one: '{count} hour', other: '{count} hours' },
  },
  'cps.minutes': {
    ru: { one: '{count} минуту', few: '{count} минуты', many: '{count} минут', other: '{count} минуты' },
    kk: { other: '{count} минут' },
    en: { one: '{count} minute', other: '{count} minutes' },
  },
});

export const cpsMessages = mergeCatalogs(portalMessages, cps);

const translators = new Map<Locale, Translator>();

export function cpsTranslator(locale: Locale): Translator {
  let t = translators.get(locale);
  if (!t) translators.set(locale, (t = createTranslator(cpsMessages, locale)));
  return t;
}
