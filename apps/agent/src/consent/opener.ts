/**
 * How the agent shows its consent page: by opening the URL in the user's browser. The default uses the
 * platform's "open this URL" command; a deployment may name its own command, and tests pass a function that
 * drives a real browser page (the consent is still answered in the page, like a user would).
 */
import { spawn } from 'node:child_process';
import { QtError } from '@qoltanba/pki';

export type ConsentOpener = (url: string) => void | Promise<void>;

function launch(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // No shell: the URL is passed as one argument, so nothing in it can be interpreted.
    const child = spawn(command, args, { stdio: 'ignore', detached: true, windowsHide: true });
    child.once('error', (e) => reject(new QtError('QT_ERR_AGENT_CONSENT_UNAVAILABLE', `Cannot run ${command}: ${e.message}`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/** Runs `command` with `args`, where the argument "{url}" is replaced by the page URL (appended when absent). */
export function commandOpener(command: string, args: readonly string[] = []): ConsentOpener {
  return (url) => {
    const withUrl = args.includes('{url}') ? args.map((a) => (a === '{url}' ? url : a)) : [...args, url];
    return launch(command, withUrl);
  };
}

/** xdg-open on Linux, open on macOS, the shell's `start` on Windows. */
export function systemBrowserOpener(platform: NodeJS.Platform = process.platform): ConsentOpener {
  if (platform === 'darwin') return commandOpener('open');
  // `start` is a cmd built-in; the empty string is the window title it would otherwise take from the URL.
  if (platform === 'win32') return commandOpener('cmd', ['/c', 'start', '""', '{url}']);
  return commandOpener('xdg-open');
}
