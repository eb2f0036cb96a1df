/** What the RA operators' console says, kk / ru / en (extends the portal's and remote issuance's catalogs). */
import { createTranslator, defineMessages, mergeCatalogs, type Locale, type Translator } from '@qoltanba/i18n';
import { remoteMessages } from '../remote/messages.ts';

const operator = defineMessages({
  'op.title': { kk: 'Куәландырушы орталық операторының консолі', ru: 'Консоль оператора удостоверяющего центра', en: 'Certification authority operator console' },
  'op.login.title': { kk: 'Операторлардың кіруі', ru: 'Вход для операторов', en: 'Operator sign-in' },
  'op.login.intro': {
    kk: 'Консольге тек куәландырушы орталық операторы рөлі бар (1.2.398.3.3.4.2.3) өз аутентификация кілтіңізбен кіресіз. Мұнда тек бетті тексеру кезегі бар.',
    ru: 'В консоль входят только своим ключом аутентификации с ролью оператора удостоверяющего центра (1.2.398.3.3.4.2.3). Здесь только очередь проверки лиц.',
    en: 'Sign in with your own authentication key carrying the certification authority operator role (1.2.398.3.3.4.2.3). The console holds the face check queue only.',
  },
  'op.nav': { kk: 'Консоль бөлімдері', ru: 'Разделы консоли', en: 'Console sections' },
  'op.queue': { kk: 'Бетті тексеру кезегі', ru: 'Очередь проверки лиц', en: 'Face check queue' },
  'op.signedInAs': { kk: 'Оператор: {name}', ru: 'Оператор: {name}', en: 'Operator: {name}' },
  'op.queue.caption': { kk: 'Шешім күтіп тұрған тексерулер, ең ескісі бірінші', ru: 'Проверки, ожидающие решения, сначала самые старые', en: 'Checks waiting for a decision, oldest first' },
  'op.queue.empty': { kk: 'Кезекте тексеру жоқ.', ru: 'В очереди нет проверок.', en: 'The queue is empty.' },
  'op.col.submitted': { kk: 'Жіберілді', ru: 'Поступила', en: 'Submitted' },
  'op.col.waiting': { kk: 'Күтуде', ru: 'Ожидает', en: 'Waiting' },
  'op.col.attempt': { kk: 'Әрекет', ru: 'Попытка', en: 'Attempt' },
  'op.col.action': { kk: 'Әрекет түрі', ru: 'Действие', en: 'Movement' },
  'op.col.state': { kk: 'Күйі', ru: 'Состояние', en: 'State' },
  'op.col.open': { kk: 'Ашу', ru: 'Открыть', en: 'Open' },
  'op.attemptOf': { kk: '{n} / {max}', ru: '{n} из {max}', en: '{n} of {max}' },
  'op.free': { kk: 'бос', ru: 'свободна', en: 'free' },
  'op.claimedByMe': { kk: 'мен тексерудемін', ru: 'проверяю я', en: 'mine' },
  'op.claimedByOther': { kk: 'басқа оператор тексеруде', ru: 'проверяет другой оператор', en: 'another operator is reviewing' },
  'op.review': { kk: 'Тексеру', ru: 'Проверить', en: 'Review' },
  'op.review.title': { kk: 'Бетті тексеру', ru: 'Проверка лица', en: 'Face check' },
  'op.review.person': { kk: 'Халықты тіркеу деректері бойынша адам', ru: 'Человек по данным регистрации населения', en: 'The person as the population registry has them' },
  'op.review.name': { kk: 'Т.А.Ә.', ru: 'ФИО', en: 'Name' },
  'op.review.birthDate': { kk: 'Туған күні', ru: 'Дата рождения', en: 'Date of birth' },
  'op.review.document': { kk: 'Құжат', ru: 'Документ', en: 'Document' },
  'op.review.documentChecked': { kk: 'нөмірі мен берілген күні сәйкес келеді', ru: 'номер и дата выдачи совпали', en: 'number and issue date matched' },
  'op.review.reference': { kk: 'ГБД ФЛ фотосы', ru: 'Фото из ГБД ФЛ', en: 'Population registry photo' },
  'op.review.noReference': { kk: 'Тізілімде фото жоқ — мақұлдауға болмайды.', ru: 'В реестре нет фото — одобрить нельзя.', en: 'The registry has no photo — it cannot be approved.' },
  'op.review.faceFrames': { kk: 'Камераға тура қарап', ru: 'Прямо в камеру', en: 'Looking at the camera' },
  'op.review.livenessFrames': { kk: 'Сұралған әрекет: {action}', ru: 'Запрошенное действие: {action}', en: 'Requested movement: {action}' },
  'op.review.frame': { kk: '{n}-сурет', ru: 'Снимок {n}', en: 'Frame {n}' },
  'op.review.measured': { kk: 'Сервер өлшеді: қозғалыс {motion}, жарықтық {brightness}.', ru: 'Измерено сервером: движение {motion}, яркость {brightness}.', en: 'Measured by the server: movement {motion}, brightness {brightness}.' },
  'op.review.claimed': { kk: 'Бұл тексеруді {until} дейін Сіз қарайсыз.', ru: 'Эту проверку до {until} рассматриваете вы.', en: 'This check is yours until {until}.' },
  'op.review.claimedOther': { kk: 'Бұл тексеруді басқа оператор {until} дейін қарайды.', ru: 'Эту проверку до {until} рассматривает другой оператор.', en: 'Another operator holds this check until {until}.' },
  'op.review.decided': { kk: 'Бұл тексеру бойынша шешім қабылданған: {state}.', ru: 'По этой проверке уже принято решение: {state}.', en: 'This check is already decided: {state}.' },
  'op.review.imagesDeleted': { kk: 'Суреттер сақтау мерзімі бойынша жойылған.', ru: 'Снимки удалены по сроку хранения.', en: 'The pictures were deleted when their retention ended.' },
  'op.doc.passport': { kk: 'ҚР азаматының паспорты', ru: 'Паспорт гражданина РК', en: 'Kazakhstan passport' },
  'op.decision': { kk: 'Шешім', ru: 'Решение', en: 'Decision' },
  'op.approve': { kk: 'Мақұлдау — бұл сол адам, тірі', ru: 'Одобрить — это тот же человек, живой', en: 'Approve — the same person, alive' },
  'op.reject': { kk: 'Қабылдамау', ru: 'Отклонить', en: 'Reject' },
  'op.reason': { kk: 'Қабылдамау себебі', ru: 'Причина отклонения', en: 'Reason for rejecting' },
  'op.comment': { kk: 'Түсініктеме (себебі «басқа» болса міндетті)', ru: 'Комментарий (обязателен при причине «другая»)', en: 'Comment (required for “another reason”)' },
  'op.submit': { kk: 'Шешімді жіберу', ru: 'Вынести решение', en: 'Submit the decision' },
  'op.decided.approved': { kk: 'Мақұлданды. Өтініш беруші кілттерді жасай алады.', ru: 'Одобрено. Заявитель может создавать ключи.', en: 'Approved. The applicant can now create keys.' },
  'op.decided.retry': { kk: 'Қабылданбады. Өтініш беруші қайта суретке түсе алады.', ru: 'Отклонено. Заявитель может сделать снимки снова.', en: 'Rejected. The applicant may take the pictures again.' },
  'op.decided.refused': { kk: 'Қабылданбады; әрекеттер таусылды — өтінім жабылды.', ru: 'Отклонено; попытки исчерпаны — заявка закрыта.', en: 'Rejected; no attempts left — the application is closed.' },
  'op.decided.withdrawn': { kk: 'Өтінім бұрын жабылған; шешім қажет емес.', ru: 'Заявка уже закрыта; решение не требуется.', en: 'The application was already closed; no decision was needed.' },
  'op.state.approved': { kk: 'мақұлданды', ru: 'одобрено', en: 'approved' },
  'op.state.rejected': { kk: 'қабылданбады', ru: 'отклонено', en: 'rejected' },
  'op.state.withdrawn': { kk: 'кері алынды', ru: 'отозвана', en: 'withdrawn' },
  'op.state.failed': { kk: 'сәтсіз', ru: 'не выполнена', en: 'failed' },
  'op.state.pending': { kk: 'күтуде', ru: 'ожидает', en: 'waiting' },
  'op.reasonRequired': { kk: 'Себепті таңдаңыз (және «басқа» болса, түсініктеме жазыңыз).', ru: 'Выберите причину (а для «другой» — напишите комментарий).', en: 'Choose a reason (and for “another reason”, write a comment).' },
  'op.minutes': {
    ru: { one: '{count} мин', few: '{count} мин', many: '{count} мин', other: '{count} мин' },
    kk: { other: '{count} мин' },
    en: { other: '{count} min' },
  },
});

export const operatorMessages = mergeCatalogs(remoteMessages, operator);

const translators = new Map<Locale, Translator>();

export function operatorTranslator(locale: Locale): Translator {
  let t = translators.get(locale);
  if (!t) translators.set(locale, (t = createTranslator(operatorMessages, locale)));
  return t;
}
