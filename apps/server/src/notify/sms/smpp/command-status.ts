/**
 * SMPP 3.4 command_status → what to do with the message. Permanent: the same submit_sm will be refused again
 * (bad address, bad content, not allowed), so the outbox should dead-letter it. Transient: the SMSC is busy or
 * unwell, so retry later. A status we do not know (vendor range 0x400+, or new) counts as transient — the
 * outbox's attempt limit bounds it, whereas a wrong "permanent" would silently lose a reminder.
 */
import smpp from 'smpp';
import { deliveryFailure } from '../../failure.ts';
import type { QtError } from '@qoltanba/pki';

const nameOf = new Map<number, string>(Object.entries(smpp.errors).map(([name, code]) => [code, name]));

const permanent = new Set([
  0x01, // ESME_RINVMSGLEN
  0x02, // ESME_RINVCMDLEN
  0x03, // ESME_RINVCMDID
  0x06, // ESME_RINVPRTFLG
  0x07, // ESME_RINVREGDLVFLG
  0x0a, // ESME_RINVSRCADR
  0x0b, // ESME_RINVDSTADR
  0x15, // ESME_RINVSERTYP
  0x43, // ESME_RINVESMCLASS
  0x48, 0x49, 0x50, 0x51, // ESME_RINVSRCTON/NPI, ESME_RINVDSTTON/NPI
  0x53, // ESME_RINVSYSTYP
  0x61, 0x62, 0x63, // ESME_RINVSCHED, ESME_RINVEXPIRY, ESME_RINVDFTMSGID
  0x65, 0x66, // ESME_RX_P_APPN, ESME_RX_R_APPN
  0xc0, 0xc1, 0xc2, 0xc3, 0xc4, // TLV errors
  0x100, 0x101, 0x103, 0x104, // service type unauthorised, prohibited, denied; ESME_RINVDCS
]);

/** Statuses that mean "slow down": the adapter pauses submitting for a moment before the next submit_sm. */
const slowDown = new Set([0x14 /* ESME_RMSGQFUL */, 0x58 /* ESME_RTHROTTLED */]);

export function statusName(status: number): string {
  return nameOf.get(status) ?? `0x${status.toString(16).padStart(8, '0')}`;
}

export function isPermanentStatus(status: number): boolean {
  return permanent.has(status);
}

export function isSlowDownStatus(status: number): boolean {
  return slowDown.has(status);
}

/** ESME_RINVBNDSTS: the SMSC thinks we are not bound; the session is useless and must be re-established. */
export function needsRebind(status: number): boolean {
  return status === 0x04;
}

export function submitFailure(status: number, extra: Record<string, unknown> = {}): QtError {
  const isPermanent = isPermanentStatus(status);
  const name = statusName(status);
  return deliveryFailure(
    isPermanent ? 'QT_ERR_SMS_REJECTED' : 'QT_ERR_SMS_UNAVAILABLE',
    `The SMSC answered submit_sm with ${name} (0x${status.toString(16)})${isPermanent ? '' : '; retry later'}`,
    { permanent: isPermanent, transport: 'smpp', commandStatus: status, commandStatusName: name, ...extra },
  );
}
