/**
 * Where a user's browsers and session keep what `qoltanba agent install` touches, from HOME and the XDG
 * variables (a test, or a second user, just passes another environment).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface UserPaths {
  home: string;
  /** Chromium-family NSS databases: ~/.pki/nssdb, and the snap Chromium's own. */
  chromiumDbs: string[];
  /** Folders holding Firefox's profiles.ini (regular, snap, flatpak). */
  firefoxRoots: string[];
  /** $XDG_CONFIG_HOME/autostart */
  autostartDir: string;
  /** $XDG_CONFIG_HOME/systemd/user */
  systemdUserDir: string;
  /** macOS: ~/Library/LaunchAgents */
  launchAgentsDir: string;
}

export function userPaths(env: NodeJS.ProcessEnv = process.env): UserPaths {
  const home = env.HOME || homedir();
  const config = env.XDG_CONFIG_HOME || join(home, '.config');
  return {
    home,
    chromiumDbs: [join(home, '.pki', 'nssdb'), join(home, 'snap', 'chromium', 'current', '.pki', 'nssdb')],
    firefoxRoots: [
      join(home, '.mozilla', 'firefox'),
      join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
      join(home, '.var', 'app', 'org.mozilla.firefox', '.mozilla', 'firefox'),
    ],
    autostartDir: join(config, 'autostart'),
    systemdUserDir: join(config, 'systemd', 'user'),
    launchAgentsDir: join(home, 'Library', 'LaunchAgents'),
  };
}
