/**
 * One calling page's WebSocket. The agent greets, echoes heartbeats at once, and answers requests strictly in
 * order, one reply each (NCALayer clients match replies to requests by order alone). When the page goes away
 * the request in progress is withdrawn, which also closes its consent page.
 */
import type { RawData, WebSocket } from 'ws';
import type { Locale } from '@qoltanba/i18n';
import { HEARTBEAT, INIT_MESSAGE, parseFrame, reply, type AgentReply } from '../protocol/envelope.ts';
import type { Dispatcher, RequestContext } from '../protocol/dispatcher.ts';
import type { SiteAccess } from '../origins/site-access.ts';

export interface ConnectionOptions {
  /** The page's origin and what the person allowed it (per connection: "allow once" lasts while it is open). */
  site: SiteAccess;
  locale: Locale;
  dispatcher: Dispatcher;
  /** Requests waiting behind the one in progress; a page that queues more is misbehaving (default 8). */
  maxQueued?: number;
}

export function serveConnection(ws: WebSocket, options: ConnectionOptions): void {
  const abort = new AbortController();
  let locale = options.locale;
  const maxQueued = options.maxQueued ?? 8;
  /** Text frames waiting their turn; `null` stands for a binary frame, which NCALayer's protocol has no use for. */
  const queue: (string | null)[] = [];
  let working = false;

  const context: RequestContext = {
    origin: options.site.origin,
    site: options.site,
    get locale() {
      return locale;
    },
    setLocale(l) {
      locale = l;
    },
    signal: abort.signal,
  };

  const sendReply = (r: AgentReply) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(r));
  };

  async function drain(): Promise<void> {
    if (working) return;
    working = true;
    try {
      while (queue.length > 0 && !abort.signal.aborted) {
        const text = queue.shift() as string | null;
        if (text === null) {
          sendReply(reply.commonError('Binary frames are not understood; send the request as JSON text'));
          continue;
        }
        const frame = parseFrame(text);
        if (frame.kind === 'malformed') sendReply(reply.commonError(frame.reason));
        else if (frame.kind === 'request') sendReply(await options.dispatcher.dispatch(frame.request, context));
      }
    } finally {
      working = false;
    }
  }

  ws.on('message', (data: RawData, isBinary: boolean) => {
    const text = isBinary ? null : (data as Buffer).toString('utf8');
    if (text === HEARTBEAT) {
      if (ws.readyState === ws.OPEN) ws.send(HEARTBEAT);
      return;
    }
    if (queue.length >= maxQueued) {
      sendReply(reply.commonError('Too many requests are waiting on this connection'));
      return;
    }
    queue.push(text);
    void drain();
  });
  // ws reports protocol violations (oversized frames, bad UTF-8) here and closes the socket itself; without a
  // listener the error would crash the agent.
  ws.on('error', () => {});
  ws.on('close', () => {
    queue.length = 0;
    abort.abort();
  });
  ws.send(INIT_MESSAGE);
}
