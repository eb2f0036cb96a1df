/**
 * One loaded PKCS#11 module per library per process. Cryptoki keeps global state: a second
 * C_Initialize of the same library fails, and C_Finalize ends every session of every user of it. So
 * stores and listings share a reference-counted module, finalized when the last user releases it
 * (which also lets a process exit without a dangling library).
 */
import { existsSync, realpathSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { QtError } from '@qoltanba/pki';

export type Pkcs11Api = InstanceType<typeof pkcs11js.PKCS11>;
export const p11 = pkcs11js;

/** Where distributions put SoftHSM2; Debian's /usr/lib/softhsm/ entry is a link into the multiarch folder. */
export const softHsmModuleCandidates = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
] as const;

export function defaultModulePath(): string {
  return softHsmModuleCandidates.find((path) => existsSync(path)) ?? softHsmModuleCandidates[0];
}

export interface Pkcs11Module {
  readonly api: Pkcs11Api;
  readonly path: string;
  /** Gives the module back; the last release finalizes and unloads it. */
  release(): void;
}

interface Loaded {
  api: Pkcs11Api;
  users: number;
  /** False when someone else in this process (another library) initialized it: then they finalize it. */
  initializedHere: boolean;
}

const loaded = new Map<string, Loaded>();

export function acquireModule(path: string): Pkcs11Module {
  let key: string;
  try {
    key = realpathSync(path);
  } catch {
    throw new QtError('QT_ERR_PKCS11_MODULE', `The PKCS#11 module ${path} does not exist`);
  }
  let entry = loaded.get(key);
  if (!entry) {
    entry = load(key, path);
    loaded.set(key, entry);
  }
  entry.users++;
  let released = false;
  const held = entry;
  return {
    api: held.api,
    path,
    release() {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      loaded.delete(key);
      try {
        if (held.initializedHere) held.api.C_Finalize();
      } finally {
        held.api.close();
      }
    },
  };
}

function load(realPath: string, shownPath: string): Loaded {
  const api = new pkcs11js.PKCS11();
  try {
    api.load(realPath);
  } catch (e) {
    throw new QtError('QT_ERR_PKCS11_MODULE', `The PKCS#11 module ${shownPath} cannot be loaded: ${(e as Error).message}`);
  }
  try {
    // OS locking lets pkcs11js's async calls run on worker threads safely.
    api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    return { api, users: 0, initializedHere: true };
  } catch (e) {
    if (e instanceof pkcs11js.Pkcs11Error && e.code === pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      return { api, users: 0, initializedHere: false };
    }
    api.close();
    throw new QtError('QT_ERR_PKCS11_MODULE', `The PKCS#11 module ${shownPath} failed to initialize: ${(e as Error).message}`);
  }
}

/**
 * Turns a Cryptoki failure into a QtError with a stable code; the CKR_ name and function go into
 * details for operators. Arguments (which may include a PIN) are never part of pkcs11js messages.
 */
export function fromPkcs11Error(e: unknown, doing: string): QtError {
  if (e instanceof QtError) return e;
  if (!(e instanceof pkcs11js.NativeError)) {
    return new QtError('QT_ERR_PKCS11', `${doing}: ${(e as Error)?.message ?? String(e)}`, undefined, { cause: e });
  }
  const rv = e.message;
  const details = { rv, function: e.method || undefined };
  switch (rv) {
    case 'CKR_PIN_INCORRECT':
    case 'CKR_PIN_LEN_RANGE':
      return new QtError('QT_ERR_PIN_INCORRECT', 'The token refused the PIN', details);
    case 'CKR_PIN_LOCKED':
      return new QtError('QT_ERR_PIN_LOCKED', 'The token PIN is locked; unblock it with the SO PIN', details);
    case 'CKR_TOKEN_NOT_PRESENT':
    case 'CKR_DEVICE_REMOVED':
    case 'CKR_SLOT_ID_INVALID':
      return new QtError('QT_ERR_TOKEN_NOT_FOUND', `${doing}: the token is no longer present`, details);
    default:
      return new QtError('QT_ERR_PKCS11', `${doing}: the token answered ${rv}`, details, { cause: e });
  }
}
