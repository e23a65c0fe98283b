/**
 * An agnhost-compatible multi-tool (`registry.k8s.io/e2e-test-images/agnhost`): `agnhost
 * <subcommand> [flags]` with the subcommands Service-networking tests use — netexec,
 * serve-hostname, porter, pause, dns-suffix, dns-server-list, etc-hosts, connect.
 */
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { logf, parseDuration, parseFlags, str, output } from './flags.js';
import { netexec } from './netexec.js';
import { porter } from './porter.js';
import { serveHostname } from './servehostname.js';

const usage = `Usage: agnhost <subcommand> [flags]
Subcommands: netexec, serve-hostname, porter, pause, dns-suffix, dns-server-list, etc-hosts, connect`;

function resolvConf(): { nameservers: string[]; searches: string[] } {
  const nameservers: string[] = [];
  let searches: string[] = [];
  for (const line of readFileSync('/etc/resolv.conf', 'utf8').split('\n')) {
    const [k, ...v] = line.trim().split(/\s+/);
    if (k === 'nameserver' && v[0]) nameservers.push(v[0]);
    if (k === 'search' || k === 'domain') searches = v;
  }
  return { nameservers, searches };
}

function pause(): void {
  output.stdout('Paused\n');
  const done = (sig: string) => {
    output.stdout(`Shutting down, got signal: ${sig}\n`);
    process.exit(0);
  };
  process.on('SIGTERM', () => done('terminated'));
  process.on('SIGINT', () => done('interrupt'));
  setInterval(() => undefined, 1 << 30);
}

/** `connect host:port [--timeout 1s] [--protocol tcp]`: exit 0 when connected, 1 otherwise. */
function connectCmd(argv: readonly string[]): void {
  const f = parseFlags(argv, { timeout: 'string', protocol: 'string' });
  const dest = f.positionals[0];
  if (!dest) throw new Error('usage: agnhost connect <host:port> [--timeout 1s]');
  const i = dest.lastIndexOf(':');
  const host = dest.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(dest.slice(i + 1));
  const timeout = parseDuration(str(f, 'timeout', '1s')) ?? 1000;
  const sock = tcpConnect({ host, port });
  const timer = setTimeout(() => {
    output.stderr('TIMEOUT\n');
    process.exit(1);
  }, timeout);
  sock.on('connect', () => {
    clearTimeout(timer);
    sock.destroy();
    process.exit(0);
  });
  sock.on('error', (e: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    output.stderr(e.code === 'ECONNREFUSED' ? 'REFUSED\n' : `OTHER: ${e.message}\n`);
    process.exit(1);
  });
}

/** Runs a subcommand; returns only for long-running ones (their servers keep the process up). */
export function agnhost(argv: readonly string[]): void {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'netexec':
      netexec(rest);
      return;
    case 'serve-hostname':
      serveHostname(rest);
      return;
    case 'porter':
      porter(rest);
      return;
    case 'pause':
      pause();
      return;
    case 'dns-suffix':
      output.stdout(resolvConf().searches.join(','));
      return;
    case 'dns-server-list':
      output.stdout(resolvConf().nameservers.join(','));
      return;
    case 'etc-hosts':
      output.stdout(readFileSync('/etc/hosts', 'utf8'));
      return;
    case 'connect':
      connectCmd(rest);
      return;
    default:
      output.stderr(`${cmd ? `unknown subcommand ${JSON.stringify(cmd)}\n` : ''}${usage}\n`);
      process.exitCode = 1;
  }
}

/** Entry for the image's `/agnhost` launcher: errors print like a Go program's log.Fatal. */
export function main(argv: readonly string[]): void {
  try {
    agnhost(argv);
  } catch (e) {
    logf(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
