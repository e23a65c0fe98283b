/** Port forwarding: see spdy.ts. Placeholder until the SPDY framing lands. */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Logger } from '../../lib/log/logger.js';
import { httpError, type Target } from './server.js';

export interface PortForwardRequest {
  readonly target: Target;
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly wss: WebSocketServer;
  readonly logger: Logger;
}

export function handlePortForward(_r: PortForwardRequest): Promise<void> {
  return Promise.reject(httpError(400, 'port forwarding is not supported by this agent yet'));
}
