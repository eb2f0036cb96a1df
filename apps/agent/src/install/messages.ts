/** What `qoltanba agent doctor` (and install/uninstall) tell the person, kk/ru/en side by side. */
import { defineMessages } from '@qoltanba/i18n';

export const doctorMessages = defineMessages({
  'doctor.title': { ru: 'Проверка агента ЭЦП Qoltanba', kk: 'Qoltanba ЭЦҚ агентін тексеру', en: 'Qoltanba EDS agent check' },
  'doctor.allGood': {
    ru: 'Всё в порядке: сайты смогут подписывать через агент.',
    kk: 'Бәрі дұрыс: сайттар агент арқылы қол қоя алады.',
    en: 'All good: web sites can sign through the agent.',
  },
  'doctor.problems': {
    ru: { one: 'Найдена {count} проблема. Что сделать — под ней.', few: 'Найдено {count} проблемы. Что сделать — под каждой.', many: 'Найдено {count} проблем. Что сделать — под каждой.', other: 'Найдено проблем: {count}. Что сделать — под каждой.' },
    kk: { other: '{count} мәселе табылды. Не істеу керектігі әрқайсысының астында жазылған.' },
    en: { one: '{count} problem found. What to do is under it.', other: '{count} problems found. What to do is under each.' },
  },
  'doctor.fix': { ru: 'Что сделать', kk: 'Не істеу керек', en: 'Fix' },
  'check.ca': { ru: 'Сертификат агента', kk: 'Агент сертификаты', en: 'Agent certificate' },
  'check.listening': { ru: 'Агент запущен', kk: 'Агент іске қосылған', en: 'Agent running' },
  'check.trust': { ru: 'Доверие браузеров', kk: 'Браузерлердің сенімі', en: 'Browser trust' },
  'check.autostart': { ru: 'Автозапуск', kk: 'Автоматты іске қосу', en: 'Autostart' },
  'check.keys': { ru: 'Папка ключей', kk: 'Кілттер қалтасы', en: 'Key folder' },
  'check.tsa': { ru: 'Служба меток времени (TSA)', kk: 'Уақыт белгілері қызметі (TSA)', en: 'Time-stamping authority (TSA)' },

  'ca.ok': {
    ru: 'Собственный УЦ этой установки есть (отпечаток SHA-256 {fingerprint}…), действует до {until}',
    kk: 'Осы орнатудың жеке КО бар (SHA-256 ізі {fingerprint}…), {until} дейін жарамды',
    en: 'This installation has its own CA (SHA-256 fingerprint {fingerprint}…), valid until {until}',
  },
  'ca.missing': {
    ru: 'Сертификат агента ещё не создан.',
    kk: 'Агент сертификаты әлі жасалмаған.',
    en: 'The agent certificate has not been made yet.',
  },
  'fix.install': { ru: 'Выполните: qoltanba agent install', kk: 'Орындаңыз: qoltanba agent install', en: 'Run: qoltanba agent install' },

  'listening.ok': {
    ru: 'Агент отвечает на wss://127.0.0.1:{port} своим сертификатом.',
    kk: 'Агент wss://127.0.0.1:{port} мекенжайында өз сертификатымен жауап береді.',
    en: 'The agent answers on wss://127.0.0.1:{port} with its own certificate.',
  },
  'listening.down': {
    ru: 'На 127.0.0.1:{port} никто не отвечает: агент не запущен.',
    kk: '127.0.0.1:{port} мекенжайында ешкім жауап бермейді: агент іске қосылмаған.',
    en: 'Nothing answers on 127.0.0.1:{port}: the agent is not running.',
  },
  'listening.other': {
    ru: 'Порт {port} занят другой программой (например, NCALayer) или агентом другой установки.',
    kk: '{port} портын басқа бағдарлама (мысалы, NCALayer) немесе басқа орнатудың агенті алып тұр.',
    en: 'Port {port} is held by another program (NCALayer, for example) or by the agent of another installation.',
  },
  'fix.start': {
    ru: 'Запустите агент: systemctl --user start qoltanba-agent (или qoltanba agent); при входе в систему он запустится сам после qoltanba agent install',
    kk: 'Агентті іске қосыңыз: systemctl --user start qoltanba-agent (немесе qoltanba agent); qoltanba agent install кейін ол жүйеге кірген сайын өзі іске қосылады',
    en: 'Start the agent: systemctl --user start qoltanba-agent (or qoltanba agent); after qoltanba agent install it starts by itself at login',
  },
  'fix.other': {
    ru: 'Закройте NCALayer (или другую программу на порту {port}) и запустите агент Qoltanba.',
    kk: 'NCALayer-ді (немесе {port} портындағы басқа бағдарламаны) жабып, Qoltanba агентін іске қосыңыз.',
    en: 'Quit NCALayer (or the other program on port {port}) and start the Qoltanba agent.',
  },

  'trust.ok': {
    ru: 'Сертификат агента в доверенных: {list}.',
    kk: 'Агент сертификаты сенімді тізімде: {list}.',
    en: 'The agent certificate is trusted in: {list}.',
  },
  'trust.missing': {
    ru: 'Браузеры не доверяют агенту: {list}. Сайты не смогут подключиться к wss://127.0.0.1:13579.',
    kk: 'Браузерлер агентке сенбейді: {list}. Сайттар wss://127.0.0.1:13579 мекенжайына қосыла алмайды.',
    en: 'Browsers do not trust the agent: {list}. Sites cannot connect to wss://127.0.0.1:13579.',
  },
  'trust.none': {
    ru: 'Не найдено ни одной базы сертификатов браузера (Chromium: ~/.pki/nssdb, профили Firefox).',
    kk: 'Браузердің бірде-бір сертификаттар базасы табылмады (Chromium: ~/.pki/nssdb, Firefox профильдері).',
    en: 'No browser certificate database was found (Chromium: ~/.pki/nssdb, Firefox profiles).',
  },
  'trust.noCertutil': {
    ru: 'Нет программы certutil: проверить и настроить доверие браузеров нельзя.',
    kk: 'certutil бағдарламасы жоқ: браузерлердің сенімін тексеру және баптау мүмкін емес.',
    en: 'certutil is missing: browser trust cannot be checked or set up.',
  },
  'fix.certutil': {
    ru: 'Установите libnss3-tools: sudo apt install libnss3-tools, затем qoltanba agent install',
    kk: 'libnss3-tools орнатыңыз: sudo apt install libnss3-tools, содан кейін qoltanba agent install',
    en: 'Install libnss3-tools: sudo apt install libnss3-tools, then qoltanba agent install',
  },
  'fix.trust': {
    ru: 'Выполните qoltanba agent install (закройте и снова откройте браузер после этого).',
    kk: 'qoltanba agent install орындаңыз (содан кейін браузерді жауып, қайта ашыңыз).',
    en: 'Run qoltanba agent install (then close and reopen the browser).',
  },

  'autostart.ok': {
    ru: 'Агент запускается при входе в систему ({kind}: {file}).',
    kk: 'Агент жүйеге кірген кезде іске қосылады ({kind}: {file}).',
    en: 'The agent starts at login ({kind}: {file}).',
  },
  'autostart.missing': {
    ru: 'Автозапуск не настроен: после перезагрузки сайты не найдут агент.',
    kk: 'Автоматты іске қосу бапталмаған: қайта жүктегеннен кейін сайттар агентті таппайды.',
    en: 'Autostart is not set up: after a restart, sites will not find the agent.',
  },
  'autostart.broken': {
    ru: 'Запись автозапуска {file} указывает на программу, которой нет: {program}.',
    kk: '{file} автоматты іске қосу жазбасы жоқ бағдарламаны көрсетеді: {program}.',
    en: 'The autostart entry {file} runs a program that does not exist: {program}.',
  },
  'autostart.disabled': {
    ru: 'Запись автозапуска {file} отключена.',
    kk: '{file} автоматты іске қосу жазбасы өшірілген.',
    en: 'The autostart entry {file} is disabled.',
  },

  'keys.ok': {
    ru: { one: 'В папках ключей {count} файл ключа: {dirs}.', few: 'В папках ключей {count} файла ключей: {dirs}.', many: 'В папках ключей {count} файлов ключей: {dirs}.', other: 'Файлов ключей в папках: {count} ({dirs}).' },
    kk: { other: 'Кілттер қалталарында {count} кілт файлы бар: {dirs}.' },
    en: { one: '{count} key file in the key folders: {dirs}.', other: '{count} key files in the key folders: {dirs}.' },
  },
  'keys.missing': {
    ru: 'Папки ключей нет или она недоступна: {dirs}.',
    kk: 'Кілттер қалтасы жоқ немесе қолжетімсіз: {dirs}.',
    en: 'A key folder is missing or unreadable: {dirs}.',
  },
  'fix.keys': {
    ru: 'Создайте папку и положите в неё файлы ключей (.p12): mkdir -p {dir}',
    kk: 'Қалта жасап, оған кілт файлдарын (.p12) салыңыз: mkdir -p {dir}',
    en: 'Create the folder and put your key files (.p12) in it: mkdir -p {dir}',
  },

  'tsa.ok': {
    ru: 'Служба меток времени {url} выдала метку за {ms} мс.',
    kk: '{url} уақыт белгілері қызметі белгіні {ms} мс ішінде берді.',
    en: 'The time-stamping authority {url} issued a stamp in {ms} ms.',
  },
  'tsa.configured': {
    ru: 'Служба меток времени: {url}.',
    kk: 'Уақыт белгілері қызметі: {url}.',
    en: 'Time-stamping authority: {url}.',
  },
  'tsa.missing': {
    ru: 'Служба меток времени не задана: подписи с меткой времени (как у NCALayer) не будут созданы.',
    kk: 'Уақыт белгілері қызметі көрсетілмеген: уақыт белгісі бар қолтаңбалар (NCALayer сияқты) жасалмайды.',
    en: 'No time-stamping authority is set: signatures with a time-stamp (as NCALayer makes them) cannot be made.',
  },
  'tsa.down': {
    ru: 'Служба меток времени {url} не выдала метку: {reason}.',
    kk: '{url} уақыт белгілері қызметі белгі бермеді: {reason}.',
    en: 'The time-stamping authority {url} did not issue a stamp: {reason}.',
  },
  'fix.tsa': {
    ru: 'Укажите её: qoltanba agent install --ca https://<адрес УЦ> (или --tsa-url https://…/tsp)',
    kk: 'Оны көрсетіңіз: qoltanba agent install --ca https://<КО мекенжайы> (немесе --tsa-url https://…/tsp)',
    en: 'Set it: qoltanba agent install --ca https://<CA address> (or --tsa-url https://…/tsp)',
  },
  'fix.tsaDown': {
    ru: 'Проверьте подключение к сети и адрес; адрес можно сменить: qoltanba agent install --tsa-url https://…/tsp',
    kk: 'Желіге қосылуды және мекенжайды тексеріңіз; мекенжайды өзгертуге болады: qoltanba agent install --tsa-url https://…/tsp',
    en: 'Check the network connection and the address; to change it: qoltanba agent install --tsa-url https://…/tsp',
  },

  'install.done': {
    ru: 'Агент установлен: сертификат в доверенных ({list}), автозапуск: {autostart}. Проверка: qoltanba agent doctor',
    kk: 'Агент орнатылды: сертификат сенімді тізімде ({list}), автоматты іске қосу: {autostart}. Тексеру: qoltanba agent doctor',
    en: 'The agent is installed: certificate trusted in ({list}), autostart: {autostart}. Check: qoltanba agent doctor',
  },
  'install.restartBrowser': {
    ru: 'Закройте и снова откройте браузер, чтобы он увидел новый сертификат.',
    kk: 'Браузер жаңа сертификатты көруі үшін оны жауып, қайта ашыңыз.',
    en: 'Close and reopen the browser so it sees the new certificate.',
  },
  'uninstall.done': {
    ru: 'Агент удалён из доверенных и из автозапуска. Ваши файлы ключей остались на месте: {dataDir}',
    kk: 'Агент сенімді тізімнен және автоматты іске қосудан алынды. Кілт файлдарыңыз орнында қалды: {dataDir}',
    en: 'The agent was removed from the browsers’ trust and from autostart. Your key files are still there: {dataDir}',
  },
});
