/**
 * A throwaway SoftHSM2 for tests: its own config and token directory in a temp folder, so tests never
 * touch the machine's tokens and can run side by side. Needs Debian's `softhsm2` package.
 *
 *   const hsm = await createSoftHsm();
 *   const token = await hsm.initToken({ label: 'Test CA', pin: '123456' });
 *   const store = await openKeyStore(token.uri(), {});   // module-path and a pin-source file included
 *   …
 *   await store.close(); await hsm.cleanup();
 *
 * SoftHSM reads SOFTHSM2_CONF when the module is initialized, so create tokens before opening a store
 * (or after every store of the process is closed), and use `env` for child processes (pkcs11-tool).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultModulePath } from '../pkcs11/module.ts';
import { formatPkcs11Uri } from '../pkcs11/pkcs11-uri.ts';

const run = promisify(execFile);

export interface SoftHsmToken {
  label: string;
  pin: string;
  soPin: string;
  /** A file holding the PIN (mode 0600), for `pin-source=file:…`. */
  pinFile: string;
  /** `pkcs11:token=…[;object=…]?module-path=…&pin-source=file:…` */
  uri(object?: string): string;
}

export interface SoftHsm {
  /** The temp folder holding the config, the tokens and the PIN files. */
  dir: string;
  modulePath: string;
  /** Environment for child processes (softhsm2-util, pkcs11-tool, openssl's pkcs11 provider). */
  env: NodeJS.ProcessEnv;
  initToken(options: { label: string; pin: string; soPin?: string }): Promise<SoftHsmToken>;
  /** Deletes the tokens and restores SOFTHSM2_CONF. Close every store on them first. */
  cleanup(): Promise<void>;
}

export async function createSoftHsm(): Promise<SoftHsm> {
  const dir = await mkdtemp(join(tmpdir(), 'qoltanba-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const previous = process.env.SOFTHSM2_CONF;
  // This process's SoftHSM module reads the variable at C_Initialize.
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const modulePath = defaultModulePath();
  let tokens = 0;

  return {
    dir,
    modulePath,
    env,
    async initToken({ label, pin, soPin = `so-${pin}` }) {
      try {
        await run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], { env });
      } catch (e) {
        const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        throw new Error(missing ? 'softhsm2-util is not installed (apt-get install softhsm2)' : `softhsm2-util failed: ${(e as Error).message}`);
      }
      const pinFile = join(dir, `token-${++tokens}.pin`);
      await writeFile(pinFile, pin, { mode: 0o600 });
      return {
        label,
        pin,
        soPin,
        pinFile,
        uri: (object) => formatPkcs11Uri({ token: label, object, modulePath, pinSource: `file:${pinFile}` }),
      };
    },
    async cleanup() {
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
