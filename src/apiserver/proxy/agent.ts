/**
 * Connections from the API server to node agents, which serve kubelet's paths over HTTPS on the
 * node's InternalIP and `status.daemonEndpoints.kubeletEndpoint.Port` (default 10250):
 * `/containerLogs/…`, `/exec/…`, `/attach/…`, `/portForward/…`. The API server authenticates with
 * its kubelet-client certificate and, like kube-apiserver by default, does not verify the
 * agent's serving certificate (agents make their own, self-signed).
 *
 * Upgrades (exec, attach, port-forward over WebSocket or SPDY) are passed through: the request
 * head is re-sent to the agent and the raw sockets are piped both ways, so the agent speaks
 * `v5.channel.k8s.io` (or whatever it negotiates) with the client directly.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { badRequest, notFound, serviceUnavailable } from '../../api/meta/status.js';
import { resources } from '../../api/scheme.js';
import type { Node } from '../../api/types/core.js';
import type { Logger } from '../../lib/log/logger.js';

export interface AgentAddress {
  readonly host: string;
  readonly port: number;
}

export interface AgentRequest {
  readonly method: string;
  /** Path and query, e.g. `/containerLogs/default/p/c?follow=true`. */
  readonly path: string;
  readonly headers?: IncomingHttpHeaders;
  readonly body?: Buffer;
  readonly signal: AbortSignal;
}

/** How the API server reaches node agents. */
export interface AgentConnector {
  /** Where the agent of a node listens. @throws ApiError 404 (no node), 503 (no address) */
  locate(nodeName: string): Promise<AgentAddress>;
  /** An HTTPS request to an agent; resolves with the response head (body streams). */
  request(address: AgentAddress, req: AgentRequest): Promise<IncomingMessage>;
  /** Passes an upgrade request through to an agent and pipes the sockets. */
  upgrade(
    address: AgentAddress,
    req: { readonly method: string; readonly path: string; readonly headers: IncomingHttpHeaders },
    client: Duplex,
    head: Buffer,
  ): Promise<void>;
}

export interface AgentDialerOptions {
  /** Reads a Node object (undefined when missing). */
  readonly getNode: (name: string) => Promise<Node | undefined>;
  /** The kubelet-client certificate and key (PEM). */
  readonly clientCert: string;
  readonly clientKey: string;
  readonly logger: Logger;
}

export const defaultAgentPort = 10250;

/** Hop-by-hop and credential headers that are not forwarded to an agent. */
const dropHeaders = new Set([
  'host',
  'authorization',
  'proxy-authorization',
  'content-length',
  'transfer-encoding',
]);

/** The address of a node's agent from its status. */
export function agentAddressOf(node: Node): AgentAddress | undefined {
  const addrs = node.status?.addresses ?? [];
  const pick =
    addrs.find((a) => a.type === 'InternalIP') ??
    addrs.find((a) => a.type === 'ExternalIP') ??
    addrs.find((a) => a.type === 'Hostname');
  if (!pick) return undefined;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  return { host: pick.address, port: port && port > 0 ? port : defaultAgentPort };
}

export class AgentDialer implements AgentConnector {
  readonly #opts: AgentDialerOptions;
  readonly #agent: HttpsAgent;

  constructor(options: AgentDialerOptions) {
    this.#opts = options;
    this.#agent = new HttpsAgent({
      cert: options.clientCert,
      key: options.clientKey,
      rejectUnauthorized: false,
      keepAlive: true,
    });
  }

  async locate(nodeName: string): Promise<AgentAddress> {
    const node = await this.#opts.getNode(nodeName);
    if (!node) throw notFound({ group: '', resource: resources.nodes.resource }, nodeName);
    const addr = agentAddressOf(node);
    if (!addr)
      throw serviceUnavailable(
        `node ${JSON.stringify(nodeName)} has no address to reach its agent at`,
      );
    return addr;
  }

  request(address: AgentAddress, req: AgentRequest): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers ?? {}))
        if (v !== undefined && !dropHeaders.has(k)) headers[k] = v;
      if (req.body) headers['content-length'] = String(req.body.length);
      const r = httpsRequest(
        {
          host: address.host,
          port: address.port,
          method: req.method,
          path: req.path,
          headers,
          agent: this.#agent,
          signal: req.signal,
        },
        resolve,
      );
      r.on('error', (e) => {
        reject(
          serviceUnavailable(
            `error dialing the node agent at ${address.host}:${address.port}: ${e.message}`,
          ),
        );
      });
      r.end(req.body);
    });
  }

  async upgrade(
    address: AgentAddress,
    req: { readonly method: string; readonly path: string; readonly headers: IncomingHttpHeaders },
    client: Duplex,
    head: Buffer,
  ): Promise<void> {
    const upstream = tlsConnect({
      host: address.host,
      port: address.port,
      cert: this.#opts.clientCert,
      key: this.#opts.clientKey,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    await new Promise<void>((resolve, reject) => {
      upstream.once('secureConnect', resolve);
      upstream.once('error', (e: Error) =>
        reject(
          serviceUnavailable(
            `error dialing the node agent at ${address.host}:${address.port}: ${e.message}`,
          ),
        ),
      );
    });
    let headText = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${address.host}:${address.port}\r\n`;
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || dropHeaders.has(k)) continue;
      for (const one of Array.isArray(v) ? v : [v]) headText += `${k}: ${one}\r\n`;
    }
    upstream.write(headText + '\r\n');
    if (head.length > 0) upstream.write(head);
    const done = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', done);
    client.on('error', done);
    upstream.on('close', done);
    client.on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** A connector for servers that reach no agents (tests that need none). */
export const noAgents: AgentConnector = {
  locate: () => Promise.reject(badRequest('this server does not reach node agents')),
  request: () => Promise.reject(badRequest('this server does not reach node agents')),
  upgrade: () => Promise.reject(badRequest('this server does not reach node agents')),
};
