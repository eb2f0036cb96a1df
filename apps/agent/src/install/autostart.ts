/**
 * Starting the agent with the user's session: a systemd user unit where the user has a systemd manager, an
 * XDG autostart entry (what every Linux desktop runs at login) where not, a LaunchAgent on macOS. The command
 * line is written with each format's own quoting, so a home folder with spaces or a `%` survives.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { UserPaths } from './paths.ts';

const run = promisify(execFile);

export const SERVICE_NAME = 'qoltanba-agent.service';
export const DESKTOP_NAME = 'qoltanba-agent.desktop';
export const LAUNCH_AGENT_NAME = 'kz.qoltanba.agent.plist';

export type AutostartKind = 'systemd' | 'xdg' | 'launchd';

export interface Autostart {
  kind: AutostartKind;
  /** The file written. */
  file: string;
}

/** `systemctl --user` works only with a running user manager (not in containers, not over plain ssh). */
export async function systemdUserAvailable(): Promise<boolean> {
  try {
    await run('systemctl', ['--user', 'show-environment'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

async function systemctl(args: string[]): Promise<void> {
  await run('systemctl', ['--user', ...args], { timeout: 30_000 });
}

/** systemd.syntax(7): double quotes, backslash escapes, and `%`/`$` doubled so they are not specifiers. */
function systemdQuote(arg: string): string {
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** Desktop Entry spec, "Exec key": quote each argument, escape `"` `` ` `` `$` `\` inside, `%` doubled. */
function desktopQuote(arg: string): string {
  const inner = arg.replace(/[\\"`$]/g, (c) => `\\${c}`).replace(/%/g, '%%');
  // The value is itself a "string" type, where a backslash must be doubled once more.
  return `"${inner.replace(/\\/g, '\\\\')}"`;
}

export function systemdUnit(command: readonly string[]): string {
  return `[Unit]
Description=Qoltanba EDS agent (NCALayer protocol on 127.0.0.1:13579)
Documentation=https://github.com/qoltanba/qoltanba/tree/main/apps/agent

[Service]
Type=simple
ExecStart=${command.map(systemdQuote).join(' ')}
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
`;
}

export function desktopEntry(command: readonly string[]): string {
  return `[Desktop Entry]
Type=Application
Name=Qoltanba EDS agent
Name[ru]=Агент ЭЦП Qoltanba
Name[kk]=Qoltanba ЭЦҚ агенті
Comment=Signs for web sites on this computer, after you confirm (NCALayer protocol)
Comment[ru]=Подписывает для сайтов на этом компьютере после вашего подтверждения (протокол NCALayer)
Comment[kk]=Сіз растағаннан кейін осы компьютерде сайттар үшін қол қояды (NCALayer хаттамасы)
Exec=${command.map(desktopQuote).join(' ')}
Terminal=false
NoDisplay=true
X-GNOME-Autostart-enabled=true
`;
}

export function launchAgentPlist(command: readonly string[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>Label</key><string>kz.qoltanba.agent</string>
<key>ProgramArguments</key><array>${command.map((a) => `<string>${esc(a)}</string>`).join('')}</array>
<key>RunAtLoad</key><true/>
<key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
</dict></plist>
`;
}

export interface RegisterOptions {
  command: readonly string[];
  platform?: NodeJS.Platform;
  /** Start the agent now too (systemd/launchd start it; an XDG entry only runs at the next login). */
  start: boolean;
}

/** Writes the autostart entry for this platform and session; returns what was written. */
export async function registerAutostart(paths: UserPaths, options: RegisterOptions): Promise<Autostart> {
  const platform = options.platform ?? process.platform;
  if (platform === 'darwin') {
    const file = join(paths.launchAgentsDir, LAUNCH_AGENT_NAME);
    await mkdir(paths.launchAgentsDir, { recursive: true });
    await writeFile(file, launchAgentPlist(options.command), { mode: 0o644 });
    if (options.start) await run('launchctl', ['load', '-w', file]);
    return { kind: 'launchd', file };
  }
  if (await systemdUserAvailable()) {
    const file = join(paths.systemdUserDir, SERVICE_NAME);
    await mkdir(paths.systemdUserDir, { recursive: true });
    await writeFile(file, systemdUnit(options.command), { mode: 0o644 });
    await systemctl(['daemon-reload']);
    await systemctl(options.start ? ['enable', '--now', SERVICE_NAME] : ['enable', SERVICE_NAME]);
    return { kind: 'systemd', file };
  }
  const file = join(paths.autostartDir, DESKTOP_NAME);
  await mkdir(paths.autostartDir, { recursive: true });
  await writeFile(file, desktopEntry(options.command), { mode: 0o644 });
  return { kind: 'xdg', file };
}

/** Removes an entry written by registerAutostart (stopping the service it started). */
export async function unregisterAutostart(entry: Autostart): Promise<void> {
  if (entry.kind === 'systemd') {
    await systemctl(['disable', '--now', SERVICE_NAME]).catch(() => {});
    await rm(entry.file, { force: true });
    await systemctl(['daemon-reload']).catch(() => {});
  } else if (entry.kind === 'launchd') {
    await run('launchctl', ['unload', '-w', entry.file]).catch(() => {});
    await rm(entry.file, { force: true });
  } else {
    await rm(entry.file, { force: true });
  }
}

/** What is registered now, whoever wrote it (doctor checks the files, not install's notes). */
export async function findAutostart(paths: UserPaths, platform: NodeJS.Platform = process.platform): Promise<(Autostart & { enabled: boolean; text: string }) | undefined> {
  const candidates: Autostart[] =
    platform === 'darwin'
      ? [{ kind: 'launchd', file: join(paths.launchAgentsDir, LAUNCH_AGENT_NAME) }]
      : [
          { kind: 'systemd', file: join(paths.systemdUserDir, SERVICE_NAME) },
          { kind: 'xdg', file: join(paths.autostartDir, DESKTOP_NAME) },
        ];
  for (const c of candidates) {
    if (!existsSync(c.file)) continue;
    const text = await readFile(c.file, 'utf8');
    let enabled = true;
    if (c.kind === 'systemd') enabled = await run('systemctl', ['--user', 'is-enabled', SERVICE_NAME]).then(() => true, () => false);
    if (c.kind === 'xdg') enabled = !/^Hidden=true$/m.test(text) && !/^X-GNOME-Autostart-enabled=false$/m.test(text);
    return { ...c, enabled, text };
  }
  return undefined;
}

/** The program an autostart entry runs (its first argument), to check it still exists. */
export function autostartProgram(entry: { kind: AutostartKind; text: string }): string | undefined {
  if (entry.kind === 'launchd') {
    return /<array><string>([^<]+)<\/string>/.exec(entry.text)?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }
  const line = new RegExp(`^${entry.kind === 'systemd' ? 'ExecStart' : 'Exec'}=(.*)$`, 'm').exec(entry.text)?.[1];
  if (!line) return undefined;
  // Undo the "string" level of a desktop entry first, then the argument quoting both formats share.
  const value = entry.kind === 'xdg' ? line.replace(/\\\\/g, '\\') : line;
  const first = /^"((?:[^"\\]|\\.)*)"/.exec(value)?.[1];
  if (first === undefined) return undefined;
  const unquoted = first.replace(/\\(.)/g, '$1').replace(/%%/g, '%');
  return entry.kind === 'systemd' ? unquoted.replace(/\$\$/g, '$') : unquoted;
}
