/**
 * Key files (PKCS#12): the .p12/.pfx files in the configured key folders, or a file the user picks in the
 * consent page. NCA's legacy files (3DES/RC2-40, SHA-1 MAC) open like modern ones. RSA/ECDSA keys are
 * imported as non-extractable WebCrypto keys, NCA's GOST keys (2004 and 2015-512) become pki GOST
 * signers; either way they are forgotten when the consent ends.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import {
  DEFAULT_MAX_PKCS12_BYTES,
  isQtError,
  pairKeyWithCertificate,
  QtError,
  readPkcs12,
  signerForPkcs12Key,
  type Signer,
} from '@qoltanba/pki';
import { describeCertificate, publicKeyOfCertificate } from './describe.ts';
import { PKCS12_STORAGE, type KeySource, type UnlockedSource, type UsableKey } from './types.ts';

const KEY_FILE_EXTENSIONS = new Set(['.p12', '.pfx']);

export const UPLOAD_SOURCE: KeySource = { id: 'upload', storage: PKCS12_STORAGE, kind: 'upload', label: '' };

export class Pkcs12Files {
  /** id → path of the files seen by the last listing; the form posts ids, never paths. */
  private readonly paths = new Map<string, string>();

  constructor(private readonly keyDirs: readonly string[]) {}

  async list(): Promise<KeySource[]> {
    const found: KeySource[] = [];
    for (const dir of this.keyDirs.map((d) => resolve(d))) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue; // a folder that does not exist (yet) simply holds no keys
      }
      for (const name of names.sort()) {
        if (!KEY_FILE_EXTENSIONS.has(extname(name).toLowerCase())) continue;
        const path = join(dir, name);
        const id = `file:${createHash('sha256').update(path).digest('base64url').slice(0, 22)}`;
        this.paths.set(id, path);
        found.push({ id, storage: PKCS12_STORAGE, kind: 'file', label: basename(path), detail: dirname(path) });
      }
    }
    return [...found, UPLOAD_SOURCE];
  }

  private async fileBytes(source: KeySource, upload: Uint8Array | undefined): Promise<Uint8Array> {
    if (source.kind === 'upload') {
      if (!upload || upload.length === 0) throw new QtError('QT_ERR_PKCS12_MALFORMED', 'No key file was chosen');
      return upload;
    }
    const path = this.paths.get(source.id);
    if (!path) throw new QtError('QT_ERR_AGENT_STORAGE_UNAVAILABLE', 'The key file is no longer there');
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw new QtError('QT_ERR_AGENT_STORAGE_UNAVAILABLE', 'The key file is no longer there');
    if (info.size > DEFAULT_MAX_PKCS12_BYTES) throw new QtError('QT_ERR_TOO_LARGE', 'The file is too large to be a key file');
    return new Uint8Array(await readFile(path));
  }

  async unlock(source: KeySource, password: string, upload?: Uint8Array): Promise<UnlockedSource> {
    const contents = await readPkcs12(await this.fileBytes(source, upload), password);
    const keys: UsableKey[] = [];
    let unsupported = 0;
    for (let i = 0; i < contents.keys.length; i++) {
      let paired;
      try {
        paired = pairKeyWithCertificate(contents, i);
      } catch (e) {
        if (isQtError(e)) continue; // a key without its certificate cannot sign anything a relying party accepts
        throw e;
      }
      const description = describeCertificate(paired.certificate);
      let signer: Signer;
      try {
        signer = await signerForPkcs12Key(paired.key, publicKeyOfCertificate(paired.certificate));
      } catch (e) {
        // A key of an algorithm we cannot sign with (e.g. an EC curve WebCrypto lacks) is left out rather
        // than offered and failing.
        if (isQtError(e, 'QT_ERR_ALGORITHM_UNSUPPORTED')) {
          unsupported++;
          continue;
        }
        throw e;
      }
      keys.push({
        source,
        alias: paired.key.friendlyName ?? paired.key.localKeyId ?? description.subjectKeyId ?? '',
        certificate: paired.certificate,
        chain: paired.chain,
        description,
        signer,
      });
    }
    if (keys.length === 0 && unsupported > 0) {
      throw new QtError('QT_ERR_ALGORITHM_UNSUPPORTED', 'The key file holds only keys of algorithms the agent cannot sign with');
    }
    return { keys, close: async () => {} };
  }
}
