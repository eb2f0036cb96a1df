/** Just the part of the untyped `smpp` package (node-smpp 0.5) the adapter and its tests use. */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer } from 'node:net';

  namespace smpp {
    class PDU {
      constructor(command: string, options?: Record<string, unknown>);
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      isResponse(): boolean;
      response(options?: Record<string, unknown>): PDU;
      toBuffer(): Buffer;
      [field: string]: unknown;
    }
    interface Session extends EventEmitter {
      send(pdu: PDU, responseCallback?: (pdu: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
      readonly socket: import('node:net').Socket;
      [command: string]: unknown;
    }
    interface Server extends NetServer {
      readonly sessions: Session[];
    }
    interface ConnectOptions {
      host: string;
      port: number;
      tls?: boolean;
      [option: string]: unknown;
    }
    function connect(options: ConnectOptions, listener?: () => void): Session;
    function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
    function createServer(listener?: (session: Session) => void): Server;
    const errors: Readonly<Record<string, number>>;
  }
  export = smpp;
}
