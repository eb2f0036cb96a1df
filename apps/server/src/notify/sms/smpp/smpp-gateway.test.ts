import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { isQtError, type QtError } from '@qoltanba/pki';
import type { DeliveryReceipt } from '../gateway.ts';
import { SmppSmsGateway, type SmppConfig } from './smpp-gateway.ts';
import { concatInfo, receivedText, TestSmsc, type TestSmscOptions } from '../../testing/smsc.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(smscOptions: TestSmscOptions = {}, config: Partial<SmppConfig> = {}) {
  const smsc = await TestSmsc.start(smscOptions);
  const gateway = new SmppSmsGateway({
    type: 'smpp',
    host: '127.0.0.1',
    port: smsc.port,
    systemId: 'qoltanba',
    password: 'secret',
    systemType: 'notify',
    source: 'Qoltanba',
    reconnect: { initialMs: 30, maxMs: 200 },
    ...config,
  });
  cleanups.push(async () => {
    await gateway.close();
    await smsc.close();
  });
  return { smsc, gateway };
}

function rejectionOf(p: Promise<unknown>): Promise<QtError> {
  return p.then(
    () => assert.fail('expected the send to fail'),
    (e: unknown) => {
      assert.ok(isQtError(e), `expected a QtError, got ${String(e)}`);
      return e;
    },
  );
}

describe('SMPP adapter against a real SMPP server', () => {
  test('binds as a transceiver with its credentials and SMPP 3.4, or as a transmitter when receipts are off', async () => {
    const { smsc, gateway } = await setup();
    await gateway.ready();
    assert.deepEqual(smsc.binds, [
      { command: 'bind_transceiver', systemId: 'qoltanba', password: 'secret', systemType: 'notify', interfaceVersion: 0x34 },
    ]);
    const tx = await setup({}, { receipts: false });
    await tx.gateway.ready();
    assert.equal(tx.smsc.binds[0]?.command, 'bind_transmitter');
  });

  test('Cyrillic text arrives as UCS-2 (data_coding 8) and decodes back exactly, addressed to the normalised number', async () => {
    const { smsc, gateway } = await setup();
    const text = 'ЭЦҚ кілттерінің мерзімі аяқталады: әғқңөұүһі';
    const result = await gateway.send({ to: '8 (701) 123-45-67', text, reference: 'outbox-1' });
    assert.equal(result.parts, 1);
    assert.equal(result.to, '+77011234567');
    const pdu = smsc.submits[0]!;
    assert.equal(pdu.data_coding, 8);
    assert.equal(receivedText(pdu), text);
    assert.equal(pdu.esm_class, 0);
    assert.equal(pdu.destination_addr, '77011234567');
    assert.deepEqual([pdu.dest_addr_ton, pdu.dest_addr_npi], [1, 1]);
    assert.deepEqual([pdu.source_addr, pdu.source_addr_ton, pdu.source_addr_npi], ['Qoltanba', 5, 0]);
    assert.equal(pdu.registered_delivery, 1);
    assert.ok(smsc.issuedIds.has(result.messageIds[0]!));
  });

  test('Latin-only text goes as GSM 03.38 (data_coding 0), extension characters included', async () => {
    const { smsc, gateway } = await setup();
    const text = 'Qoltanba: code {AB} costs 0 € - ok?';
    await gateway.send({ to: '+77771234567', text });
    const pdu = smsc.submits[0]!;
    assert.equal(pdu.data_coding, 0);
    assert.equal(receivedText(pdu), text);
  });

  test('a 300-character Kazakh text arrives as 5 concatenated parts with one UDH reference that reassemble to the text', async () => {
    const { smsc, gateway } = await setup();
    const sentence = 'Құрметті азамат, Сіздің ЭЦҚ кілттеріңіздің мерзімі жақында аяқталады. ';
    const text = sentence.repeat(5).slice(0, 300);
    assert.equal(text.length, 300);
    const result = await gateway.send({ to: '+77051234567', text });
    assert.equal(result.parts, 5);
    assert.equal(result.messageIds.length, 5);
    assert.equal(smsc.submits.length, 5);
    const infos = smsc.submits.map((p) => concatInfo(p)!);
    assert.ok(infos.every((i) => i && i.reference === infos[0]!.reference && i.total === 5));
    assert.deepEqual(infos.map((i) => i.sequence).sort(), [1, 2, 3, 4, 5]);
    for (const p of smsc.submits) {
      assert.equal(p.data_coding, 8);
      assert.equal((p.esm_class as number) & 0x40, 0x40);
      assert.ok(receivedText(p).length <= 67);
    }
    const reassembled = [...smsc.submits]
      .sort((a, b) => concatInfo(a)!.sequence - concatInfo(b)!.sequence)
      .map(receivedText)
      .join('');
    assert.equal(reassembled, text);
    // A second long message gets a different reference, so handsets never mix their parts.
    await gateway.send({ to: '+77051234567', text });
    assert.notEqual(concatInfo(smsc.submits[5]!)!.reference, infos[0]!.reference);
  });

  test('ESME_RINVDSTADR is a permanent rejection carrying the command_status', async () => {
    const { gateway } = await setup({ onSubmit: () => ({ status: 0x0b }) });
    const e = await rejectionOf(gateway.send({ to: '+77011234567', text: 'Сәлем' }));
    assert.equal(e.code, 'QT_ERR_SMS_REJECTED');
    assert.equal(e.details?.permanent, true);
    assert.equal(e.details?.commandStatus, 0x0b);
    assert.equal(e.details?.commandStatusName, 'ESME_RINVDSTADR');
  });

  test('throttling, queue full and system error are transient', async () => {
    for (const status of [0x58, 0x14, 0x08]) {
      const { gateway } = await setup({ onSubmit: () => ({ status }) }, { slowDownMs: 10 });
      const e = await rejectionOf(gateway.send({ to: '+77011234567', text: 'Сәлем' }));
      assert.equal(e.code, 'QT_ERR_SMS_UNAVAILABLE');
      assert.equal(e.details?.permanent, false);
      assert.equal(e.details?.commandStatus, status);
    }
  });

  test('a connection dropped mid-batch: in-flight sends fail as transient, the adapter rebinds, the rest and later sends succeed', async () => {
    let dropped = false;
    const { smsc, gateway } = await setup(
      {
        onSubmit: (_pdu, index) => {
          if (!dropped && index === 6) {
            dropped = true;
            return { drop: true };
          }
          return { delayMs: 5 };
        },
      },
      { window: 5, bindWaitMs: 3000 },
    );
    const batch = Array.from({ length: 20 }, (_, i) => gateway.send({ to: '+77011234567', text: `Хабар ${i}` }));
    const outcomes = await Promise.allSettled(batch);
    const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as QtError] : []));
    const sent = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    assert.equal(failed.length + sent.length, 20, 'every send settles');
    assert.ok(failed.length >= 1 && failed.length <= 5, `only in-flight sends fail (${failed.length})`);
    for (const e of failed) {
      assert.equal(e.code, 'QT_ERR_SMS_UNAVAILABLE');
      assert.equal(e.details?.permanent, false);
      assert.equal(e.details?.maybeAccepted, true);
    }
    for (const r of sent) assert.ok(smsc.issuedIds.has(r.messageIds[0]!), 'a success is an id the SMSC really issued');
    assert.equal(smsc.binds.length, 2);
    const later = await gateway.send({ to: '+77011234567', text: 'Кейін' });
    assert.ok(smsc.issuedIds.has(later.messageIds[0]!));
  });

  test('an SMSC restart while idle is followed by a rebind; a send waits for it', async () => {
    const { smsc, gateway } = await setup();
    await gateway.ready();
    const down = once(gateway.connection, 'down');
    smsc.dropAll();
    await down;
    const r = await gateway.send({ to: '+77011234567', text: 'Қайта қосылу' });
    assert.ok(smsc.issuedIds.has(r.messageIds[0]!));
    assert.equal(smsc.binds.length, 2);
  });

  test('an unbind from the SMSC is answered and followed by a new bind', async () => {
    const { smsc, gateway } = await setup();
    await gateway.ready();
    const down = once(gateway.connection, 'down');
    smsc.unbindAll();
    await down;
    assert.equal(smsc.unbindResponses, 1);
    await gateway.send({ to: '+77011234567', text: 'Қайта' });
    assert.equal(smsc.binds.length, 2);
  });

  test('a submit_sm the SMSC never answers fails as transient after the response timeout and frees its window slot', async () => {
    const { smsc, gateway } = await setup({ onSubmit: (_p, i) => (i === 0 ? { hold: true } : {}) }, { responseTimeoutMs: 200, window: 1 });
    const e = await rejectionOf(gateway.send({ to: '+77011234567', text: 'Бірінші' }));
    assert.equal(e.code, 'QT_ERR_SMS_UNAVAILABLE');
    assert.equal(e.details?.maybeAccepted, true);
    const r = await gateway.send({ to: '+77011234567', text: 'Екінші' });
    assert.ok(smsc.issuedIds.has(r.messageIds[0]!));
  });

  test('delivery receipts (text form and TLV form) reach onReceipt; other deliver_sm are acknowledged and ignored', async () => {
    const { smsc, gateway } = await setup();
    const receipts: DeliveryReceipt[] = [];
    gateway.onReceipt((r) => void receipts.push(r));
    const { messageIds } = await gateway.send({ to: '+77011234567', text: 'Тест' });
    const id = messageIds[0]!;
    const resp = await smsc.deliver({
      source_addr: '77011234567',
      destination_addr: 'Qoltanba',
      esm_class: 0x04,
      short_message: `id:${id} sub:001 dlvrd:001 submit date:2603151200 done date:2603151201 stat:DELIVRD err:000 text:Тест`,
    });
    assert.equal(resp.command_status, 0);
    await smsc.deliver({ source_addr: '77011234567', esm_class: 0x04, receipted_message_id: 'M999', message_state: 5, short_message: '' });
    await smsc.deliver({ source_addr: '77011234567', esm_class: 0x00, short_message: 'hello' });
    assert.equal(receipts.length, 2);
    assert.deepEqual(receipts[0], {
      messageId: id,
      state: 'DELIVRD',
      final: true,
      errorCode: '000',
      recipient: '77011234567',
      doneAt: new Date('2026-03-15T07:01:00Z'),
      submittedAt: new Date('2026-03-15T07:00:00Z'),
    });
    assert.equal(receipts[1]?.messageId, 'M999');
    assert.equal(receipts[1]?.state, 'UNDELIV');
  });

  test('beforeSubmit runs once per send, on a bound session, and its reference rides on every part as user_message_reference', async () => {
    const { smsc, gateway } = await setup();
    const calls: Array<{ parts: number; to: string; bound: number }> = [];
    const long = 'Сіздің ЭЦҚ кілттеріңіздің мерзімі аяқталады. '.repeat(3);
    const r = await gateway.send({
      to: '+77011234567',
      text: long,
      beforeSubmit: async ({ parts, to }) => {
        calls.push({ parts, to, bound: smsc.binds.length });
        return { userMessageReference: 4242 };
      },
    });
    assert.deepEqual(calls, [{ parts: r.parts, to: '+77011234567', bound: 1 }]);
    assert.ok(r.parts >= 2);
    assert.deepEqual(smsc.submits.map((p) => p.user_message_reference), Array.from({ length: r.parts }, () => 4242));
    assert.equal(gateway.correlation, 'receipt-reference');
    assert.equal((await setup({}, { receiptReference: false })).gateway.correlation, 'none');
    assert.equal((await setup({}, { receipts: false })).gateway.correlation, 'none');
  });

  test('when beforeSubmit fails, nothing goes on the wire and send fails with its error', async () => {
    const { smsc, gateway } = await setup();
    const refused = new Error('the lease was taken over');
    await assert.rejects(gateway.send({ to: '+77011234567', text: 'Сіздің ЭЦҚ кілттеріңіздің мерзімі аяқталады. '.repeat(3), beforeSubmit: () => Promise.reject(refused) }), (e) => e === refused);
    assert.equal(smsc.submits.length, 0);
  });

  test('a receipt is acknowledged only once its listener has it written; one it could not write is answered ESME_RX_T_APPN', async () => {
    const { smsc, gateway } = await setup();
    let write!: () => void;
    let fail = false;
    gateway.onReceipt(() => (fail ? Promise.reject(new Error('database gone')) : new Promise<void>((resolve) => (write = resolve))));
    await gateway.ready();
    const receipt = { source_addr: '77011234567', esm_class: 0x04, receipted_message_id: 'M1', message_state: 2, short_message: '' };
    let acknowledged = false;
    const resp = smsc.deliver(receipt).then((p) => ((acknowledged = true), p));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(acknowledged, false, 'not acknowledged before it is written');
    write();
    assert.equal((await resp).command_status, 0);
    fail = true;
    assert.equal((await smsc.deliver(receipt)).command_status, 0x64);
  });

  test('the window is respected: the SMSC never sees more than N unacknowledged submit_sm', async () => {
    const { smsc, gateway } = await setup({ onSubmit: () => ({ delayMs: 20 }) }, { window: 4 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => gateway.send({ to: '+77011234567', text: `№${i}` })));
    assert.equal(smsc.submits.length, 40);
    assert.equal(smsc.maxOutstanding, 4);
  });

  test('maxPerSecond spaces the submits', async () => {
    const { gateway } = await setup({}, { maxPerSecond: 50 });
    await gateway.ready();
    const started = Date.now();
    await Promise.all(Array.from({ length: 11 }, () => gateway.send({ to: '+77011234567', text: 'x' })));
    assert.ok(Date.now() - started >= 190, `11 submits at 50/s take ≥ 200 ms (took ${Date.now() - started})`);
  });

  test('a wrong password is a clear bind error, and sends fail fast with it', async () => {
    const { gateway } = await setup({}, { password: 'wrong' });
    const e = await rejectionOf(gateway.ready());
    assert.equal(e.code, 'QT_ERR_SMS_BIND_FAILED');
    assert.equal(e.details?.commandStatusName, 'ESME_RINVPASWD');
    assert.match(e.message, /system_id "qoltanba".*ESME_RINVPASWD/);
    assert.doesNotMatch(JSON.stringify(e), /wrong/, 'the password is not in the error');
    const started = Date.now();
    const sendError = await rejectionOf(gateway.send({ to: '+77011234567', text: 'x' }));
    assert.equal(sendError.code, 'QT_ERR_SMS_BIND_FAILED');
    assert.ok(Date.now() - started < 1000);
  });

  test('no SMSC listening: a send fails as transient after the bind wait', async () => {
    const { smsc, gateway } = await setup({}, { bindWaitMs: 300 });
    await gateway.ready();
    const down = once(gateway.connection, 'down');
    await smsc.close();
    await down;
    const started = Date.now();
    const e = await rejectionOf(gateway.send({ to: '+77011234567', text: 'x' }));
    assert.equal(e.code, 'QT_ERR_SMS_UNAVAILABLE');
    assert.equal(e.details?.permanent, false);
    assert.ok(Date.now() - started >= 250, 'it waited for a rebind first');
  });

  test('keeps the link alive with enquire_link', async () => {
    const { smsc, gateway } = await setup({}, { enquireLinkMs: 40 });
    await gateway.ready();
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(smsc.enquireLinks.length >= 2);
  });

  test('an invalid number is refused before anything is sent', async () => {
    const { smsc, gateway } = await setup();
    const e = await rejectionOf(gateway.send({ to: '+7 495 123 45 67', text: 'x' }));
    assert.equal(e.code, 'QT_ERR_PHONE_INVALID');
    assert.equal(e.details?.permanent, true);
    assert.equal(smsc.submits.length, 0);
  });

  test('throughput: SMS submitted per second against the local SMPP server', async (t) => {
    for (const window of [1, 10, 50]) {
      const { gateway } = await setup({}, { window });
      await gateway.ready();
      const n = 3000;
      const started = process.hrtime.bigint();
      await Promise.all(Array.from({ length: n }, (_, i) => gateway.send({ to: '+77011234567', text: `Код: ${100000 + i}. Никому не сообщайте.` })));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rate = Math.round(n / seconds);
      t.diagnostic(`window ${window}: ${n} single-part UCS-2 SMS in ${seconds.toFixed(2)} s = ${rate} SMS/s`);
      assert.ok(rate > 100);
    }
  });
});
