/**
 * Probe and lifecycle-hook actions, as kubelet runs them (pkg/probe/{exec,http,tcp}):
 * - exec: the command in the container; exit 0 succeeds; the output (≤ 10 KiB) is the message;
 * - httpGet: from the node to the pod IP (or `host`), `User-Agent: kube-probe/1.32`
 *   and Accept of any type; 200–399 succeeds; same-host redirects are followed (10 at most), a redirect
 *   elsewhere counts as success;
 * - tcpSocket: a connection succeeds;
 * - sleep (hooks only).
 * Named ports resolve against the container's ports.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { IntOrString } from '../../api/meta/types.js';
import type { Container, LifecycleHandler, ProbeHandler } from '../../api/types/core.js';
import type { Runtime } from '../runtime/types.js';

export type ProbeResult = 'success' | 'failure';

export interface ActionOutcome {
  readonly result: ProbeResult;
  /** What kubelet puts in the Unhealthy event ("Readiness probe failed: <message>"). */
  readonly message: string;
}

export interface ActionTarget {
  readonly runtime: Runtime;
  readonly containerId: string;
  readonly container: Container;
  /** The pod IP (the node's for hostNetwork pods). */
  readonly podIP: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

const maxOutput = 10 * 1024;
export const probeUserAgent = 'kube-probe/1.32';

/** A port number, or a named port of the container. */
export function resolvePort(port: IntOrString, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = container.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in ${container.name}`);
  return p.containerPort;
}

class Capture extends Writable {
  readonly chunks: Buffer[] = [];
  size = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    if (this.size < maxOutput) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).subarray(0, maxOutput).toString('utf8');
  }
}

async function execAction(t: ActionTarget, command: readonly string[]): Promise<ActionOutcome> {
  const out = new Capture();
  const timeout = AbortSignal.timeout(t.timeoutMs);
  const signal = t.signal ? AbortSignal.any([timeout, t.signal]) : timeout;
  try {
    const code = await t.runtime.exec(t.containerId, { command, stdout: out, stderr: out, signal });
    if (timeout.aborted)
      return {
        result: 'failure',
        message: `command timed out: "${command.join(' ')}" timed out after ${t.timeoutMs / 1000}s`,
      };
    return code === 0
      ? { result: 'success', message: out.text() }
      : {
          result: 'failure',
          message: out.text() || `command "${command.join(' ')}" exited with ${code}`,
        };
  } catch (e) {
    if (timeout.aborted)
      return {
        result: 'failure',
        message: `command timed out: "${command.join(' ')}" timed out after ${t.timeoutMs / 1000}s`,
      };
    return { result: 'failure', message: e instanceof Error ? e.message : String(e) };
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function dialError(e: unknown, host: string, port: number): string {
  const err = e as NodeJS.ErrnoException;
  const what =
    err.code === 'ECONNREFUSED'
      ? 'connect: connection refused'
      : err.code === 'EHOSTUNREACH'
        ? 'connect: no route to host'
        : err.code === 'ENETUNREACH'
          ? 'connect: network is unreachable'
          : (err.message ?? String(e));
  return `dial tcp ${hostPort(host, port)}: ${what}`;
}

async function httpAction(
  t: ActionTarget,
  get: NonNullable<ProbeHandler['httpGet']>,
): Promise<ActionOutcome> {
  const port = resolvePort(get.port, t.container);
  const host = get.host || t.podIP;
  const scheme = (get.scheme ?? 'HTTP').toLowerCase();
  let path = get.path ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  let url = new URL(`${scheme}://${hostPort(host, port)}${path}`);
  const headers: Record<string, string> = { 'user-agent': probeUserAgent, accept: '*/*' };
  for (const h of get.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
  const deadline = Date.now() + t.timeoutMs;
  for (let redirects = 0; ; redirects++) {
    const target = url;
    const res = await new Promise<IncomingMessage | Error>((resolve) => {
      const remaining = Math.max(1, deadline - Date.now());
      const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
        {
          host: target.hostname.replace(/^\[|\]$/g, ''),
          port: target.port,
          path: target.pathname + target.search,
          method: 'GET',
          headers,
          timeout: remaining,
          rejectUnauthorized: false,
          agent: false,
          ...(t.signal ? { signal: t.signal } : {}),
        },
        resolve,
      );
      req.on('timeout', () => {
        req.destroy(
          new Error(
            `Get "${target.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
          ),
        );
      });
      req.on('error', (e) => {
        resolve(
          e.message.startsWith('Get "')
            ? e
            : new Error(
                `Get "${target.href}": ${dialError(e, target.hostname, Number(target.port))}`,
              ),
        );
      });
      req.end();
    });
    if (res instanceof Error) return { result: 'failure', message: res.message };
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res as AsyncIterable<Buffer>) {
      if (size < maxOutput) chunks.push(c);
      size += c.length;
    }
    const code = res.statusCode ?? 0;
    const body = Buffer.concat(chunks).subarray(0, maxOutput).toString('utf8');
    if (code >= 300 && code < 400 && res.headers.location && redirects < 10) {
      const next = new URL(res.headers.location, url);
      if (next.hostname !== url.hostname) return { result: 'success', message: body };
      url = next;
      continue;
    }
    if (code >= 200 && code < 400) return { result: 'success', message: body };
    return { result: 'failure', message: `HTTP probe failed with statuscode: ${code}` };
  }
}

function tcpAction(
  t: ActionTarget,
  tcp: NonNullable<ProbeHandler['tcpSocket']>,
): Promise<ActionOutcome> {
  const port = resolvePort(tcp.port, t.container);
  const host = tcp.host || t.podIP;
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: t.timeoutMs });
    sock.once('connect', () => {
      sock.destroy();
      resolve({ result: 'success', message: '' });
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve({ result: 'failure', message: `dial tcp ${hostPort(host, port)}: i/o timeout` });
    });
    sock.once('error', (e) => resolve({ result: 'failure', message: dialError(e, host, port) }));
  });
}

/** Runs a probe's action once. */
export async function runProbeAction(
  t: ActionTarget,
  handler: ProbeHandler,
): Promise<ActionOutcome> {
  try {
    if (handler.exec) return await execAction(t, handler.exec.command ?? []);
    if (handler.httpGet) return await httpAction(t, handler.httpGet);
    if (handler.tcpSocket) return await tcpAction(t, handler.tcpSocket);
    if (handler.grpc)
      return { result: 'failure', message: 'gRPC probes are not supported by this agent' };
    return { result: 'failure', message: 'the probe has no action' };
  } catch (e) {
    return { result: 'failure', message: e instanceof Error ? e.message : String(e) };
  }
}

/** Runs a lifecycle hook (postStart, preStop); resolves with an error message on failure. */
export async function runHook(
  t: ActionTarget,
  hook: LifecycleHandler,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
): Promise<string | undefined> {
  if (hook.sleep) {
    try {
      await sleep(hook.sleep.seconds * 1000, t.signal);
    } catch {
      // cut short: the grace period ended
    }
    return undefined;
  }
  const action: ProbeHandler = {
    ...(hook.exec ? { exec: hook.exec } : {}),
    ...(hook.httpGet ? { httpGet: hook.httpGet } : {}),
    ...(hook.tcpSocket ? { tcpSocket: hook.tcpSocket } : {}),
  };
  const outcome = await runProbeAction(t, action);
  if (outcome.result === 'success') return undefined;
  if (hook.exec) {
    return `Exec lifecycle hook (${JSON.stringify(hook.exec.command ?? [])}) for Container "${t.container.name}" failed - error: ${outcome.message}`;
  }
  return `HTTP lifecycle hook failed: ${outcome.message}`;
}
