/**
 * Slots and tokens of a module: what the local agent reports as plugged-in storages, and how a URI's
 * token= / serial= / slot-id= … pick the one token a store works with.
 */
import { QtError } from '@qoltanba/pki';
import { acquireModule, defaultModulePath, fromPkcs11Error, p11, type Pkcs11Api } from './module.ts';
import { describePkcs11Uri, formatPkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.ts';

/** CKF_TOKEN_PRESENT (PKCS#11 2.40 §3.2); pkcs11js's typings omit it. */
const CKF_TOKEN_PRESENT = 0x1;

export interface TokenInfo {
  slotId: number;
  slotDescription: string;
  slotManufacturer: string;
  /** A token (card, USB key) is in the slot. The fields below are set only when it is. */
  present: boolean;
  label?: string;
  serial?: string;
  manufacturer?: string;
  model?: string;
  initialized?: boolean;
  loginRequired?: boolean;
  pinLocked?: boolean;
  /** `pkcs11:` URI naming an initialized token (add object= and a pin-source to name a key). */
  uri?: string;
}

export interface SlotView {
  handle: Buffer;
  info: TokenInfo;
}

// Cryptoki pads its fixed-width strings with blanks.
const trim = (text: string): string => text.replace(/[\s\0]+$/, '');

function slotIdOf(handle: Buffer): number {
  return Number(handle.length >= 8 ? handle.readBigUInt64LE(0) : BigInt(handle.readUInt32LE(0)));
}

export function readSlots(api: Pkcs11Api): SlotView[] {
  try {
    return api.C_GetSlotList(false).map((handle) => {
      const slot = api.C_GetSlotInfo(handle);
      const info: TokenInfo = {
        slotId: slotIdOf(handle),
        slotDescription: trim(slot.slotDescription),
        slotManufacturer: trim(slot.manufacturerID),
        present: (slot.flags & CKF_TOKEN_PRESENT) !== 0,
      };
      if (info.present) {
        const token = api.C_GetTokenInfo(handle);
        info.label = trim(token.label);
        info.serial = trim(token.serialNumber);
        info.manufacturer = trim(token.manufacturerID);
        info.model = trim(token.model);
        info.initialized = (token.flags & p11.CKF_TOKEN_INITIALIZED) !== 0;
        info.loginRequired = (token.flags & p11.CKF_LOGIN_REQUIRED) !== 0;
        info.pinLocked = (token.flags & p11.CKF_USER_PIN_LOCKED) !== 0;
        if (info.initialized) info.uri = formatPkcs11Uri(tokenSelector(info));
      }
      return { handle, info };
    });
  } catch (e) {
    throw fromPkcs11Error(e, 'Listing the slots');
  }
}

/** The URI attributes that name this token. */
export function tokenSelector(info: TokenInfo): Pkcs11Uri {
  return { token: info.label, manufacturer: info.manufacturer, serial: info.serial, model: info.model };
}

/** Does the token in this slot satisfy every token/slot attribute the URI gives? */
export function tokenMatches(info: TokenInfo, uri: Pkcs11Uri): boolean {
  return (
    (uri.token === undefined || uri.token === info.label) &&
    (uri.manufacturer === undefined || uri.manufacturer === info.manufacturer) &&
    (uri.serial === undefined || uri.serial === info.serial) &&
    (uri.model === undefined || uri.model === info.model) &&
    (uri.slotId === undefined || uri.slotId === info.slotId) &&
    (uri.slotDescription === undefined || uri.slotDescription === info.slotDescription) &&
    (uri.slotManufacturer === undefined || uri.slotManufacturer === info.slotManufacturer)
  );
}

/** The one initialized token the URI names; an unnamed token is fine when only one is present. */
export function selectToken(api: Pkcs11Api, uri: Pkcs11Uri): SlotView {
  const matches = readSlots(api).filter((s) => s.info.present && s.info.initialized && tokenMatches(s.info, uri));
  const named = describePkcs11Uri({ ...uri, object: undefined, id: undefined, type: undefined });
  if (matches.length === 0) throw new QtError('QT_ERR_TOKEN_NOT_FOUND', `No token matching ${named} is present`);
  if (matches.length > 1) {
    throw new QtError('QT_ERR_TOKEN_AMBIGUOUS', `${matches.length} tokens match ${named}; name one by token= or serial=`);
  }
  return matches[0] as SlotView;
}

/** Every slot of the module, with its token when one is present. */
export async function listTokens(modulePath: string = defaultModulePath()): Promise<TokenInfo[]> {
  const module = acquireModule(modulePath);
  try {
    return readSlots(module.api).map((s) => s.info);
  } finally {
    module.release();
  }
}
