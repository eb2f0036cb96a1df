/**
 * What remote issuance says, kk / ru / en side by side (formal Kazakh, "Сіз"; DESIGN §7 words through the
 * portal's catalog, which this one extends). The error codes of this feature are explained to the portal's
 * error pages from here (addExplanations), so a refusal reads the same wherever it is raised.
 */
import { createTranslator, defineMessages, mergeCatalogs, type Locale, type Translator } from '@qoltanba/i18n';
import type { QtError, QtErrorCode } from '@qoltanba/pki';
import { addExplanations, type Explained } from '../portal/http/errors.ts';
import { portalMessages } from '../portal/messages.ts';

const remote = defineMessages({
  'remote.intro': {
    kk: 'Кілттеріңіздің мерзімі өтсе, олар кері қайтарылса немесе ЭЦҚ-ны алғаш рет алсаңыз, жаңа кілттерді ХҚКО-ға бармай ала аласыз: SMS-кодпен, жеке басты куәландыратын құжатпен және веб-камера алдында бетті тексерумен.',
    ru: 'Если срок ваших ключей истёк, они отозваны или вы получаете ЭЦП впервые, новые ключи можно получить без посещения ЦОНа: по коду из SMS, документу, удостоверяющему личность, и проверке лица перед веб-камерой.',
    en: 'If your keys have expired or were revoked, or this is your first EDS, you can get new keys without visiting a Public service centre: with an SMS code, your identity document and a face check in front of your webcam.',
  },
  'remote.needTitle': { kk: 'Сізге қажет:', ru: 'Вам понадобится:', en: 'You will need:' },
  'remote.iin': { kk: 'ЖСН', ru: 'ИИН', en: 'IIN' },
  'remote.iinHint': { kk: '12 цифр, жеке куәліктегідей.', ru: '12 цифр, как в удостоверении личности.', en: '12 digits, as on your ID card.' },
  'remote.consent': {
    kk: 'Жеке және биометриялық деректерімді (камерадан түсірілген суреттерді) тексеру үшін өңдеуге келісемін. Суреттер {hours} сағаттан артық сақталмайды, содан кейін жойылады.',
    ru: 'Я согласен(на) на обработку моих персональных и биометрических данных (снимков с камеры) для проверки. Снимки хранятся не дольше {hours} ч и затем удаляются.',
    en: 'I agree to the processing of my personal and biometric data (camera pictures) for this check. The pictures are kept for at most {hours} hours, then deleted.',
  },
  'remote.start': { kk: 'Жалғастыру', ru: 'Продолжить', en: 'Continue' },
  'remote.startRemote': { kk: 'ЭЦҚ алуды бастау', ru: 'Начать получение ЭЦП', en: 'Start getting an EDS' },
  'remote.title.application': { kk: 'ЭЦҚ-ны қашықтан алуға өтінім', ru: 'Заявка на получение ЭЦП удалённо', en: 'Application to get an EDS remotely' },

  'remote.step.iin': { kk: 'ЖСН', ru: 'ИИН', en: 'IIN' },
  'remote.step.code': { kk: 'SMS-код', ru: 'SMS-код', en: 'SMS code' },
  'remote.step.document': { kk: 'Құжат', ru: 'Документ', en: 'Document' },
  'remote.step.face': { kk: 'Бетті тексеру', ru: 'Проверка лица', en: 'Face check' },
  'remote.step.keys': { kk: 'Жаңа кілттер', ru: 'Новые ключи', en: 'New keys' },
  'remote.step.done': { kk: 'Дайын', ru: 'Готово', en: 'Done' },

  'remote.code.alreadySent': {
    kk: 'Осы ЖСН бойынша өтінім басқа терезеде басталған. {phone} нөміріне жіберілген кодты енгізіңіз — өтінім осы терезеде жалғасады.',
    ru: 'Заявка по этому ИИН уже начата в другом окне. Введите код, отправленный на номер {phone}, — и заявка продолжится в этом окне.',
    en: 'An application for this IIN was already started in another window. Enter the code sent to {phone} and it continues in this window.',
  },

  'remote.document.text': {
    kk: 'Жеке куәліктің немесе ҚР азаматы паспортының нөмірін және берілген күнін енгізіңіз. Біз оларды халықты тіркеу деректерімен салыстырамыз.',
    ru: 'Введите номер и дату выдачи удостоверения личности или паспорта гражданина РК. Мы сверим их с данными о регистрации населения.',
    en: 'Enter the number and issue date of your ID card or Kazakhstan passport. We compare them with the population registry.',
  },
  'remote.document.number': { kk: 'Құжат нөмірі', ru: 'Номер документа', en: 'Document number' },
  'remote.document.numberHint': { kk: 'Жеке куәлік — 9 цифр; паспорт — N әрпі және 8 цифр.', ru: 'Удостоверение личности — 9 цифр; паспорт — буква N и 8 цифр.', en: 'ID card: 9 digits; passport: the letter N and 8 digits.' },
  'remote.document.issuedOn': { kk: 'Берілген күні', ru: 'Дата выдачи', en: 'Issue date' },
  'remote.document.submit': { kk: 'Тексеру', ru: 'Проверить', en: 'Check' },

  'remote.face.text': {
    kk: 'Енді біз Сіздің бетіңізді құжаттағы фотомен салыстырамыз. Жарық жерде отырыңыз, көзілдірікті және бас киімді шешіңіз, камераға тура қараңыз. Бет суретке түскеннен кейін экранда көрсетілген әрекетті баяу орындаңыз.',
    ru: 'Теперь мы сравним ваше лицо с фотографией документа. Сядьте в хорошо освещённом месте, снимите очки и головной убор, смотрите прямо в камеру. После снимков лица медленно выполните действие, показанное на экране.',
    en: 'Now we compare your face with your document photo. Sit somewhere well lit, take off glasses and headwear, and look straight at the camera. After the face pictures, slowly do what the screen asks.',
  },
  'remote.face.cameraOn': { kk: 'Камераны қосу', ru: 'Включить камеру', en: 'Turn on the camera' },
  'remote.face.capture': { kk: 'Суретке түсіру', ru: 'Сделать снимки', en: 'Take the pictures' },
  'remote.face.preview': { kk: 'Камерадағы сурет', ru: 'Изображение с камеры', en: 'Camera picture' },
  'remote.face.lookStraight': { kk: 'Камераға тура қараңыз…', ru: 'Смотрите прямо в камеру…', en: 'Look straight at the camera…' },
  'remote.face.action.turn-left': { kk: 'Басыңызды баяу солға бұрыңыз', ru: 'Медленно поверните голову влево', en: 'Slowly turn your head to the left' },
  'remote.face.action.turn-right': { kk: 'Басыңызды баяу оңға бұрыңыз', ru: 'Медленно поверните голову вправо', en: 'Slowly turn your head to the right' },
  'remote.face.uploading': { kk: 'Суреттерді жіберудеміз…', ru: 'Отправляем снимки…', en: 'Sending the pictures…' },
  'remote.face.cameraDenied': {
    kk: 'Браузер камераны пайдалануға рұқсат бермеді. Мекенжай жолағындағы камера белгішесін басып, осы сайтқа рұқсат беріңіз.',
    ru: 'Браузер не разрешил доступ к камере. Нажмите на значок камеры в адресной строке и разрешите доступ этому сайту.',
    en: 'The browser did not allow the camera. Click the camera icon in the address bar and allow this site.',
  },
  'remote.face.noCamera': { kk: 'Камера табылмады. Веб-камераны қосып, қайталап көріңіз.', ru: 'Камера не найдена. Подключите веб-камеру и попробуйте снова.', en: 'No camera was found. Connect a webcam and try again.' },
  'remote.face.unsupported': { kk: 'Бұл браузер камерамен жұмыс істей алмайды. Chrome, Edge немесе Firefox-ты қолданыңыз.', ru: 'Этот браузер не умеет работать с камерой. Используйте Chrome, Edge или Firefox.', en: 'This browser cannot use the camera. Please use Chrome, Edge or Firefox.' },
  'remote.face.attemptsLeft': {
    ru: { one: 'Осталась {count} попытка проверки лица.', few: 'Осталось {count} попытки проверки лица.', many: 'Осталось {count} попыток проверки лица.', other: 'Осталось {count} попытки проверки лица.' },
    kk: { other: 'Бетті тексерудің {count} әрекеті қалды.' },
    en: { one: '{count} face check attempt left.', other: '{count} face check attempts left.' },
  },
  'remote.face.lastRejected': { kk: 'Алдыңғы суреттер қабылданбады: {reason}', ru: 'Предыдущие снимки не приняты: {reason}', en: 'The previous pictures were not accepted: {reason}' },
  'remote.face.waitingTitle': { kk: 'Суреттер тексерілуде', ru: 'Снимки проверяются', en: 'Your pictures are being checked' },
  'remote.face.waiting': {
    kk: 'Суреттерді куәландырушы орталықтың операторы тексеруде. Әдетте бұл бірнеше минутқа созылады. Бет өздігінен жаңарады — оны жаппаңыз.',
    ru: 'Снимки проверяет оператор удостоверяющего центра. Обычно это занимает несколько минут. Страница обновится сама — не закрывайте её.',
    en: 'An operator of the certification authority is checking your pictures. This usually takes a few minutes. The page updates by itself — keep it open.',
  },
  'remote.face.refresh': { kk: 'Бетті жаңарту', ru: 'Обновить страницу', en: 'Refresh the page' },

  'reason.match': { kk: 'бет сәйкес келеді', ru: 'лицо совпадает', en: 'the face matches' },
  'reason.face-mismatch': { kk: 'бет құжаттағы фотоға сәйкес келмейді', ru: 'лицо не совпадает с фотографией документа', en: 'the face does not match the document photo' },
  'reason.no-liveness': { kk: 'сұралған әрекет орындалмады', ru: 'запрошенное действие не выполнено', en: 'the requested movement was not made' },
  'reason.poor-quality': { kk: 'бет нашар көрінеді (жарық, қашықтық, көзілдірік)', ru: 'лицо плохо видно (свет, расстояние, очки)', en: 'the face is hard to see (light, distance, glasses)' },
  'reason.photo-of-photo': { kk: 'камераға фото немесе экран көрсетілген', ru: 'камере показана фотография или экран', en: 'a photo or a screen was shown to the camera' },
  'reason.score-below-threshold': { kk: 'сәйкестік жеткіліксіз', ru: 'недостаточное совпадение', en: 'the match is not close enough' },
  'reason.other': { kk: 'басқа себеп', ru: 'другая причина', en: 'another reason' },

  'remote.closed.face-attempts': {
    kk: 'Бетті {count} рет растау мүмкін болмады, сондықтан ЭЦҚ-ны қашықтан алу бұл өтінім бойынша мүмкін емес.',
    ru: 'Лицо не удалось подтвердить {count} раз, поэтому получить ЭЦП удалённо по этой заявке нельзя.',
    en: 'Your face could not be confirmed {count} times, so this application cannot get an EDS remotely.',
  },
  'remote.closed.visitCentre': {
    kk: 'ЭЦҚ алу үшін жеке куәлігіңізбен кез келген ХҚКО-ға (халыққа қызмет көрсету орталығы) жүгініңіз.',
    ru: 'Для получения ЭЦП обратитесь с удостоверением личности в любой ЦОН (центр обслуживания населения).',
    en: 'To get an EDS, please visit any Public service centre with your ID card.',
  },
  'remote.closed.document-attempts': { kk: 'Құжат деректері тым көп рет қате енгізілді.', ru: 'Данные документа введены неверно слишком много раз.', en: 'The document details were wrong too many times.' },
  'remote.closed.document-expired': { kk: 'Халықты тіркеу деректері бойынша құжатыңыздың мерзімі өткен.', ru: 'По данным регистрации населения срок действия вашего документа истёк.', en: 'According to the population registry your document has expired.' },
  'remote.closed.person-not-eligible': { kk: 'Бұл ЖСН бойынша кілттерді қашықтан беру мүмкін емес.', ru: 'По этому ИИН ключи удалённо выдать нельзя.', en: 'Keys cannot be issued remotely for this IIN.' },
  'remote.closed.again': { kk: 'Ертең жаңа өтінім беруге болады.', ru: 'Новую заявку можно подать завтра.', en: 'You can submit a new application tomorrow.' },
  'remote.done.text': {
    kk: 'Жаңа кілттер орнатылды. Олармен Жеке кабинетке кіре аласыз.',
    ru: 'Новые ключи установлены. С ними можно войти в Личный кабинет.',
    en: 'Your new keys are installed. You can sign in to your Personal account with them.',
  },
  'remote.done.login': { kk: 'Жеке кабинетке кіру', ru: 'Войти в Личный кабинет', en: 'Sign in to your Personal account' },

  // Explanations of this feature's error codes
  'error.personNotFound': { kk: 'Бұл ЖСН халықты тіркеу деректерінде табылмады.', ru: 'Этот ИИН не найден в данных о регистрации населения.', en: 'This IIN is not in the population registry.' },
  'error.personNotFound.do': { kk: 'ЖСН-ді тексеріңіз. Дұрыс болса, ХҚКО-ға жүгініңіз.', ru: 'Проверьте ИИН. Если он верный, обратитесь в ЦОН.', en: 'Check the IIN. If it is right, please visit a Public service centre.' },
  'error.personNotEligible': { kk: 'Бұл ЖСН бойынша кілттерді қашықтан беру мүмкін емес.', ru: 'По этому ИИН ключи удалённо выдать нельзя.', en: 'Keys cannot be issued remotely for this IIN.' },
  'error.personNotEligible.do': { kk: 'Жеке куәлігіңізбен кез келген ХҚКО-ға жүгініңіз.', ru: 'Обратитесь с удостоверением личности в любой ЦОН.', en: 'Please visit any Public service centre with your ID card.' },
  'error.remotePhone': { kk: 'Бұл ЖСН-ге Мобильді азаматтар базасында расталған телефон нөмірі тіркелмеген.', ru: 'К этому ИИН не привязан подтверждённый номер телефона в Базе мобильных граждан.', en: 'No confirmed phone number is linked to this IIN in the Mobile citizens database.' },
  'error.remotePhone.do': {
    kk: 'Код тек Мобильді азаматтар базасындағы нөмірге жіберіледі. Нөміріңізді egov.kz порталында («Мобильді азаматтар базасында тіркелу») немесе ХҚКО-да тіркеп, осы бетке оралыңыз.',
    ru: 'Код отправляется только на номер из Базы мобильных граждан. Зарегистрируйте номер на портале egov.kz («Регистрация в Базе мобильных граждан») или в ЦОНе и вернитесь на эту страницу.',
    en: 'The code is sent only to the number in the Mobile citizens database. Register your number on egov.kz (“Registration in the Mobile citizens database”) or at a Public service centre, then come back to this page.',
  },
  'error.documentMismatch': { kk: 'Құжат нөмірі немесе берілген күні тіркеу деректерімен сәйкес келмейді.', ru: 'Номер или дата выдачи документа не совпадают с данными регистрации.', en: 'The document number or issue date does not match the registry.' },
  'error.documentMismatch.do': { kk: 'Құжатқа қарап, деректерді мұқият енгізіңіз.', ru: 'Сверьтесь с документом и введите данные внимательно.', en: 'Look at your document and enter them carefully.' },
  'error.documentAttempts': { kk: 'Құжат деректері тым көп рет қате енгізілді, сондықтан қауіпсіздік үшін өтінім қабылданбады.', ru: 'Данные документа введены неверно слишком много раз, поэтому для вашей безопасности заявка отклонена.', en: 'The document details were wrong too many times, so for your safety the application was refused.' },
  'error.documentExpired': { kk: 'Халықты тіркеу деректері бойынша құжатыңыздың мерзімі өткен.', ru: 'По данным регистрации населения срок действия вашего документа истёк.', en: 'According to the population registry your document has expired.' },
  'error.documentExpired.do': { kk: 'Алдымен жаңа жеке куәлік алыңыз (ХҚКО-да немесе egov.kz арқылы).', ru: 'Сначала получите новое удостоверение личности (в ЦОНе или через egov.kz).', en: 'First get a new ID card (at a Public service centre or through egov.kz).' },
  'error.image': { kk: 'Камерадан алынған сурет бүлінген немесе тым үлкен.', ru: 'Снимок с камеры повреждён или слишком велик.', en: 'A camera picture is damaged or too large.' },
  'error.image.do': { kk: 'Қайта суретке түсіріңіз.', ru: 'Сделайте снимки ещё раз.', en: 'Take the pictures again.' },
  'error.capture': { kk: 'Суреттер бетті тексеруге жарамсыз.', ru: 'По этим снимкам нельзя проверить лицо.', en: 'These pictures cannot be used to check your face.' },
  'error.capture.identical': { kk: 'Камерадағы сурет мүлдем өзгермеді — тірі бейне емес, суретке ұқсайды.', ru: 'Изображение с камеры совсем не менялось — похоже на фотографию, а не живое видео.', en: 'The camera picture did not change at all — it looks like a still image, not live video.' },
  'error.capture.exposure': { kk: 'Сурет тым қараңғы немесе тым жарық.', ru: 'Снимок слишком тёмный или слишком светлый.', en: 'A picture is too dark or too bright.' },
  'error.capture.movement': { kk: 'Басыңызды бұрғаныңыз көрінбеді.', ru: 'Поворот головы не был виден.', en: 'The head turn could not be seen.' },
  'error.capture.do': { kk: 'Жарықты жақсартып, камераға қарап, экрандағы әрекетті баяу орындаңыз, содан кейін қайта суретке түсіріңіз.', ru: 'Улучшите освещение, смотрите в камеру и медленно выполните действие с экрана, затем сделайте снимки снова.', en: 'Improve the light, look at the camera, slowly do what the screen asks, then take the pictures again.' },
  'error.tooLarge': { kk: 'Жіберілген деректер тым үлкен.', ru: 'Отправленные данные слишком велики.', en: 'What was sent is too large.' },
  'error.tooLarge.do': { kk: 'Бетті жаңартып, қайталап көріңіз.', ru: 'Обновите страницу и попробуйте снова.', en: 'Reload the page and try again.' },
  'error.faceAttempts': { kk: 'Бетті тексеру әрекеттері таусылды.', ru: 'Попытки проверки лица исчерпаны.', en: 'No face check attempts are left.' },
  'error.faceService': { kk: 'Бетті тексеру қызметі қазір қолжетімсіз. Әрекет есептелмеді.', ru: 'Сервис проверки лица сейчас недоступен. Попытка не засчитана.', en: 'The face check service is unavailable right now. The attempt was not counted.' },
  'error.faceService.do': { kk: 'Бірнеше минуттан кейін қайта суретке түсіріңіз.', ru: 'Сделайте снимки снова через несколько минут.', en: 'Take the pictures again in a few minutes.' },
  'remote.sessionEnded': {
    kk: 'Осы браузердегі сеанс аяқталды. Өтінімді жалғастыру үшін ЖСН-ді қайта енгізіңіз — растау үшін жаңа SMS-код жібереміз.',
    ru: 'Сеанс в этом браузере завершился. Чтобы продолжить заявку, снова введите ИИН — мы отправим новый SMS-код для подтверждения.',
    en: 'The session in this browser has ended. To continue your application, enter your IIN again — we will send a new SMS code to confirm it is you.',
  },
  'error.forbidden': { kk: 'Бұл әрекетке рұқсат жоқ.', ru: 'Это действие вам не разрешено.', en: 'You are not allowed to do this.' },
  'error.forbidden.do': { kk: 'Кезекке оралыңыз.', ru: 'Вернитесь к очереди.', en: 'Go back to the queue.' },
  'error.ownApplication': { kk: 'Оператор өз өтінімін тексере алмайды.', ru: 'Оператор не может проверять собственную заявку.', en: 'An operator cannot review their own application.' },
  'error.ownApplication.do': { kk: 'Оны басқа оператор тексереді.', ru: 'Её проверит другой оператор.', en: 'Another operator will review it.' },
  'error.operatorRole': { kk: 'Бұл кілтте куәландырушы орталық операторының рөлі жоқ.', ru: 'В этом ключе нет роли оператора удостоверяющего центра.', en: 'This key does not carry the certification authority operator role.' },
  'error.operatorRole.do': { kk: 'Оператордың аутентификация кілтін таңдаңыз.', ru: 'Выберите ключ аутентификации оператора.', en: 'Choose your operator authentication key.' },
});

export const remoteMessages = mergeCatalogs(portalMessages, remote);

const translators = new Map<Locale, Translator>();

/** The portal's words plus remote issuance's and the operators' console's. */
export function remoteTranslator(locale: Locale): Translator {
  let t = translators.get(locale);
  if (!t) translators.set(locale, (t = createTranslator(remoteMessages, locale)));
  return t;
}

const CAPTURE_WHY: Record<string, string> = { identical: 'error.capture.identical', exposure: 'error.capture.exposure', 'no-movement': 'error.capture.movement' };

function explained(what: string, todo: string, locale: Locale, params: Record<string, string | number> = {}): Explained {
  const t = remoteTranslator(locale);
  return { what: t.t(what, params), todo: t.t(todo, params), remote: false };
}

const explanations: Partial<Record<QtErrorCode, (e: QtError, locale: Locale) => Explained>> = {
  QT_ERR_PERSON_NOT_FOUND: (_e, l) => explained('error.personNotFound', 'error.personNotFound.do', l),
  QT_ERR_PERSON_NOT_ELIGIBLE: (_e, l) => explained('error.personNotEligible', 'error.personNotEligible.do', l),
  QT_ERR_DOCUMENT_MISMATCH: (e, l) => {
    const x = explained('error.documentMismatch', 'error.documentMismatch.do', l);
    const left = e.details?.attemptsLeft;
    return typeof left === 'number' ? { ...x, what: `${x.what} ${remoteTranslator(l).t('common.attemptsLeft', { count: left })}` } : x;
  },
  QT_ERR_DOCUMENT_ATTEMPTS: (_e, l) => explained('error.documentAttempts', 'remote.closed.visitCentre', l),
  QT_ERR_DOCUMENT_EXPIRED: (_e, l) => explained('error.documentExpired', 'error.documentExpired.do', l),
  QT_ERR_IMAGE_INVALID: (_e, l) => explained('error.image', 'error.image.do', l),
  QT_ERR_FACE_CAPTURE_INVALID: (e, l) => {
    const why = CAPTURE_WHY[String(e.details?.why)];
    return explained(why ?? 'error.capture', 'error.capture.do', l);
  },
  QT_ERR_TOO_LARGE: (_e, l) => explained('error.tooLarge', 'error.tooLarge.do', l),
  QT_ERR_FACE_ATTEMPTS: (_e, l) => explained('error.faceAttempts', 'remote.closed.visitCentre', l),
  QT_ERR_FACE_SERVICE_UNAVAILABLE: (_e, l) => explained('error.faceService', 'error.faceService.do', l),
  QT_ERR_FORBIDDEN: (e, l) => (e.details?.own ? explained('error.ownApplication', 'error.ownApplication.do', l) : explained('error.forbidden', 'error.forbidden.do', l)),
  QT_ERR_OPERATOR_ROLE_REQUIRED: (_e, l) => explained('error.operatorRole', 'error.operatorRole.do', l),
};
addExplanations(explanations);

/** The mobile-registry refusal on the remote route says how to get into the registry (the re-issuance wording assumes a saved application). */
export function phoneExplanation(locale: Locale): Explained {
  return explained('error.remotePhone', 'error.remotePhone.do', locale);
}
