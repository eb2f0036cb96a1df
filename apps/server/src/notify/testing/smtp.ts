/** A real SMTP server (the smtp-server package) on localhost for the notifier's tests: records every accepted mail. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  /** Whether the session had turned TLS on (STARTTLS) before the mail. */
  readonly secure: boolean;
  /** Who logged in, when `auth` was asked for. */
  readonly user: string | undefined;
}

export interface TestSmtpOptions {
  /**
   * Require AUTH with these credentials (a wrong pair is a real server's 535) and offer STARTTLS, served with
   * smtp-server's built-in self-signed certificate (the client is told not to verify it). Without it: plain,
   * no AUTH, as the notifier's tests use it.
   */
  auth?: { user: string; password: string };
}

export interface TestSmtp {
  readonly port: number;
  readonly received: ReceivedMail[];
  /** RCPT TO replies by address: 550 "no such user", 451 "try later". */
  readonly rcptReplies: Map<string, number>;
  close(): Promise<void>;
}

export async function startTestSmtp(options: TestSmtpOptions = {}): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const rcptReplies = new Map<string, number>();
  const auth = options.auth;
  const server = new SMTPServer({
    ...(auth
      ? {
          authOptional: false,
          allowInsecureAuth: false,
          onAuth(login, _session, cb) {
            if (login.username === auth.user && login.password === auth.password) cb(null, { user: login.username });
            else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
          },
        }
      : { authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] }),
    logger: false,
    onRcptTo(address, _session, cb) {
      const code = rcptReplies.get(address.address);
      if (code) cb(Object.assign(new Error(code >= 500 ? 'No such user here' : 'Try again later'), { responseCode: code }));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('latin1'),
          secure: session.secure,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    rcptReplies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
