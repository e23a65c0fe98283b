/**
 * Upstream resolvers: `--upstream` addresses, or the `nameserver` lines of a resolv.conf (the
 * node's /etc/resolv.conf, as kubeadm's `forward . /etc/resolv.conf`).
 */
import { readFileSync } from 'node:fs';
import type { Upstream } from './forward.js';
import { canonicalIP } from './ip.js';

/** `10.0.0.1`, `10.0.0.1:5353`, `[fd00::1]:53`, `fd00::1`. @throws Error when malformed */
export function parseUpstream(s: string): Upstream {
  const t = s.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  const hostPort = /^([^:]+):(\d+)$/.exec(t);
  const host = bracket ? bracket[1] : hostPort ? hostPort[1] : t;
  const port = Number((bracket ? bracket[2] : hostPort ? hostPort[2] : undefined) ?? 53);
  const c = host === undefined ? undefined : canonicalIP(host);
  if (!c || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`invalid upstream ${JSON.stringify(s)}: use IP or IP:port ([IPv6]:port)`);
  return { host: c.ip, port };
}

/** The nameservers of resolv.conf text (zone suffixes like `%eth0` dropped). */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m?.[1]) continue;
    const c = canonicalIP(m[1].replace(/%.*$/, ''));
    if (c && !out.some((u) => u.host === c.ip)) out.push({ host: c.ip, port: 53 });
  }
  return out;
}

/** The nameservers of a resolv.conf file; none when it cannot be read. */
export function readResolvConf(path: string): Upstream[] {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}
