/**
 * `/containerLogs/{ns}/{pod}/{container}`: a container's log as kubelet serves it (text/plain,
 * streamed), with kubelet's choice of instance (validateContainerLogStatus): the running one; the
 * last terminated one when the container waits to restart; `previous` = the instance before.
 * Errors use kubelet's words ("container \"x\" in pod \"y\" is waiting to start: …").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContainerStatus as ApiContainerStatus } from '../../api/types/core.js';
import type { LogEntry, LogOptions } from '../runtime/types.js';
import { httpError, type Target } from './server.js';

function statusOf(t: Target, name: string): ApiContainerStatus | undefined {
  const s = t.pod.status;
  return [...(s?.containerStatuses ?? []), ...(s?.initContainerStatuses ?? [])].find(
    (c) => c.name === name,
  );
}

/** The runtime id of the instance to read. @throws HttpError (400) */
export function logInstance(t: Target, name: string, previous: boolean): string {
  const podName = t.pod.metadata.name ?? '';
  const spec = [...(t.pod.spec?.containers ?? []), ...(t.pod.spec?.initContainers ?? [])].find(
    (c) => c.name === name,
  );
  if (!spec) throw httpError(400, `container ${name} is not valid for pod ${podName}`);
  const instances = t.view.containers
    .filter((c) => c.name === name)
    .sort((a, b) => b.attempt - a.attempt);
  const latest = instances[0];
  const status = statusOf(t, name);
  const waiting = status?.state?.waiting;
  const waitingToRestart = latest?.state.state === 'exited' && waiting !== undefined;
  if (previous) {
    const prev = waitingToRestart ? latest : instances[1];
    if (!prev)
      throw httpError(400, `previous terminated container "${name}" in pod "${podName}" not found`);
    return prev.id;
  }
  if (latest && latest.state.state !== 'created') return latest.id;
  const reason = waiting?.reason ?? 'ContainerCreating';
  const why =
    reason === 'ErrImagePull'
      ? "image can't be pulled"
      : reason === 'ImagePullBackOff'
        ? 'trying and failing to pull image'
        : reason;
  throw httpError(400, `container "${name}" in pod "${podName}" is waiting to start: ${why}`);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n))
    throw httpError(400, `${name} must be an integer, not ${JSON.stringify(v)}`);
  return n;
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}

export async function serveLogs(
  t: Target,
  container: string,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const previous = flag(q, 'previous');
  const id = logInstance(t, container, previous);
  const tailLines = intParam(q, 'tailLines');
  const limitBytes = intParam(q, 'limitBytes');
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const sinceTime = q.get('sinceTime');
  if (limitBytes !== undefined && limitBytes < 1)
    throw httpError(400, 'limitBytes must be greater than zero');
  if (sinceSeconds !== undefined && sinceSeconds < 1)
    throw httpError(400, 'sinceSeconds must be greater than zero');
  let since: Date | undefined;
  if (sinceSeconds !== undefined) since = new Date(Date.now() - sinceSeconds * 1000);
  else if (sinceTime) {
    since = new Date(sinceTime);
    if (Number.isNaN(since.getTime()))
      throw httpError(400, `sinceTime ${sinceTime} is not an RFC 3339 time`);
  }
  const timestamps = flag(q, 'timestamps');
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  req.on('close', () => {
    if (!res.writableEnded) ac.abort();
  });
  const options: LogOptions = {
    follow: flag(q, 'follow') && !previous,
    ...(tailLines !== undefined && tailLines >= 0 ? { tailLines } : {}),
    ...(since ? { since } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    signal: ac.signal,
  };
  let entries: AsyncIterable<LogEntry>;
  try {
    entries = t.runtime.logs(id, options);
  } catch (e) {
    throw httpError(400, e instanceof Error ? e.message : String(e));
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache' });
  res.flushHeaders();
  let written = 0;
  try {
    for await (const e of entries) {
      const parts: Buffer[] = [];
      if (timestamps) parts.push(Buffer.from(`${e.time} `));
      parts.push(Buffer.from(e.content));
      if (!e.partial) parts.push(Buffer.from('\n'));
      let chunk = Buffer.concat(parts);
      if (limitBytes !== undefined && written + chunk.length > limitBytes)
        chunk = chunk.subarray(0, limitBytes - written);
      written += chunk.length;
      if (!res.write(chunk)) await new Promise<void>((r) => res.once('drain', () => r()));
      if (limitBytes !== undefined && written >= limitBytes) break;
      if (ac.signal.aborted) break;
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  }
  res.end();
}
