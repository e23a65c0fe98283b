/**
 * A packet tracer over FakeNft's tables: runs the first packet of a connection through the
 * hooks it would cross (prerouting or output, then input/forward, then postrouting) and reports
 * every possible outcome (a `numgen random` branches into all its arms). It understands exactly
 * the rule forms the proxy writes and throws on anything else, so a new rule form cannot go
 * untested. kube-proxy tests its nftables rules the same way (pkg/proxy/nftables helpers_test.go).
 */
import type { FakeNft, FakeTable } from './fake.js';
import type { IPFamily } from '../types.js';
import { nftFamily, tableName } from './model.js';

export interface TracePacket {
  readonly src: string;
  readonly dst: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly dport: number;
  /** `node`: sent by a process in the node's own namespace (output hook); else arrives from outside. */
  readonly from: 'pod' | 'node' | 'external';
}

export interface TraceEnv {
  /** Addresses of the node's own interfaces (`fib … type local`). */
  readonly localAddresses: readonly string[];
}

export interface TraceOutcome {
  readonly verdict: 'accept' | 'drop' | 'reject';
  /** `ip:port` after DNAT, when the packet was DNATed. */
  readonly dnat: string | undefined;
  readonly masquerade: boolean;
}

interface PacketState {
  saddr: string;
  daddr: string;
  dport: number;
  readonly proto: string;
  mark: number;
  dnatted: boolean;
  masquerade: boolean;
}

type Verdict = 'continue' | 'return' | 'accept' | 'drop' | 'reject';

interface Step {
  readonly verdict: Verdict;
  readonly pkt: PacketState;
}

export class TraceError extends Error {}

/** Traces a packet through the `portico` table of the packet's family. */
export function tracePacket(
  nft: FakeNft,
  family: IPFamily,
  pkt: TracePacket,
  env: TraceEnv,
): TraceOutcome[] {
  const table = nft.tables.get(`${nftFamily(family)} ${tableName}`);
  if (!table) throw new TraceError('no portico table');
  return new Tracer(table, env).trace(pkt);
}

/** A compact summary: `reject`, `drop`, `accept` (not DNATed) or sorted `ip:port[ masq]` targets. */
export function summarize(outcomes: readonly TraceOutcome[]): string[] {
  const out = new Set<string>();
  for (const o of outcomes) {
    if (o.verdict !== 'accept') out.add(o.verdict);
    else if (o.dnat === undefined) out.add(o.masquerade ? 'accept masq' : 'accept');
    else out.add(`${o.dnat}${o.masquerade ? ' masq' : ''}`);
  }
  return [...out].sort();
}

class Tracer {
  readonly #t: FakeTable;
  readonly #env: TraceEnv;
  #depth = 0;

  constructor(t: FakeTable, env: TraceEnv) {
    this.#t = t;
    this.#env = env;
  }

  trace(p: TracePacket): TraceOutcome[] {
    const start: PacketState = {
      saddr: p.src,
      daddr: p.dst,
      dport: p.dport,
      proto: p.protocol,
      mark: 0,
      dnatted: false,
      masquerade: false,
    };
    const done: TraceOutcome[] = [];
    const finish = (st: PacketState): void => {
      done.push({
        verdict: 'accept',
        dnat: st.dnatted ? hostPort(st.daddr, st.dport) : undefined,
        masquerade: st.masquerade,
      });
    };
    if (p.from === 'node') {
      // Output path: output hooks, then postrouting (even towards a local address).
      for (const st of this.#hook('postrouting', this.#hook('output', [start], done), done))
        finish(st);
      return done;
    }
    // Prerouting, then the routing decision: a local address is delivered through input (no
    // postrouting); anything else is forwarded and leaves through postrouting.
    for (const st of this.#hook('prerouting', [start], done)) {
      if (this.#isLocal(st.daddr)) {
        for (const x of this.#hook('input', [st], done)) finish(x);
      } else {
        for (const x of this.#hook('postrouting', this.#hook('forward', [st], done), done))
          finish(x);
      }
    }
    return done;
  }

  #isLocal(ip: string): boolean {
    return this.#env.localAddresses.includes(ip);
  }

  /** Runs the base chains of one hook in priority order; returns the packets that go on. */
  #hook(hook: string, states: PacketState[], done: TraceOutcome[]): PacketState[] {
    const bases = [...this.#t.chains]
      .filter(([, c]) => c.base !== undefined && new RegExp(`hook ${hook} `).test(c.base))
      .map(([name, c]) => ({ name, prio: Number(/priority (-?\d+)/.exec(c.base ?? '')?.[1] ?? 0) }))
      .sort((a, b) => a.prio - b.prio);
    for (const b of bases) {
      const next: PacketState[] = [];
      for (const s of states) {
        for (const r of this.#chain(b.name, s)) {
          if (r.verdict === 'drop' || r.verdict === 'reject')
            done.push({ verdict: r.verdict, dnat: undefined, masquerade: false });
          else next.push(r.pkt);
        }
      }
      states = next;
    }
    return states;
  }

  #chain(name: string, pkt: PacketState): Step[] {
    const c = this.#t.chains.get(name);
    if (!c) throw new TraceError(`chain ${name} does not exist`);
    if (++this.#depth > 64) throw new TraceError('jump loop');
    try {
      let states = [pkt];
      const out: Step[] = [];
      for (const rule of c.rules) {
        const next: PacketState[] = [];
        for (const s of states) {
          for (const r of this.#rule(rule, s)) {
            if (r.verdict === 'continue') next.push(r.pkt);
            else out.push(r);
          }
        }
        states = next;
        if (states.length === 0) break;
      }
      for (const s of states) out.push({ verdict: 'return', pkt: s });
      return out;
    } finally {
      this.#depth--;
    }
  }

  /** Applies a verdict string (`goto x`, `jump x`, `drop`, …) to a packet. */
  #verdict(v: string, pkt: PacketState): Step[] {
    const [kw, target] = v.trim().split(/\s+/);
    switch (kw) {
      case 'accept':
      case 'drop':
      case 'return':
        return [{ verdict: kw, pkt }];
      case 'goto':
      case 'jump': {
        const steps = this.#chain(target ?? '', pkt);
        return steps.map((s) =>
          s.verdict === 'return'
            ? { verdict: kw === 'jump' ? 'continue' : 'return', pkt: s.pkt }
            : s,
        );
      }
      default:
        throw new TraceError(`unknown verdict ${v}`);
    }
  }

  #rule(rule: string, pkt: PacketState): Step[] {
    const toks = tokenize(rule);
    let states: PacketState[] = [pkt];
    // Packets that failed a match skip the rest of the rule and go on to the next one.
    const missed: Step[] = [];
    const keepIf = (list: PacketState[], pred: (s: PacketState) => boolean): PacketState[] => {
      const out: PacketState[] = [];
      for (const s of list) {
        if (pred(s)) out.push(s);
        else missed.push({ verdict: 'continue', pkt: s });
      }
      return out;
    };
    const finish = (steps: Step[]): Step[] => [...missed, ...steps];
    let i = 0;
    const peek = (k = 0): string => toks[i + k] ?? '';
    while (i < toks.length && states.length > 0) {
      const t = peek();
      // --- terminal and non-terminal statements
      if (t === 'comment') {
        i += 2;
        continue;
      }
      if (t === 'counter') {
        i++;
        continue;
      }
      if (t === 'jump' || t === 'goto') {
        const v = `${t} ${peek(1)}`;
        i += 2;
        const out: Step[] = [];
        for (const s of states) for (const r of this.#verdict(v, s)) out.push(r);
        return finish(this.#continueAfter(out, toks.slice(i), rule));
      }
      if (t === 'return' || t === 'accept' || t === 'drop') {
        return finish(states.map((s) => ({ verdict: t, pkt: s })));
      }
      if (t === 'reject') return finish(states.map((s) => ({ verdict: 'reject', pkt: s })));
      if (t === 'masquerade')
        return finish(states.map((s) => ({ verdict: 'accept', pkt: { ...s, masquerade: true } })));
      if (t === 'update') {
        i += 3; // update @set { … }
        continue;
      }
      if (t === 'meta' && peek(1) === 'mark' && peek(2) === 'set') {
        // meta mark set meta mark or|xor M
        const op = peek(5);
        const m = Number(peek(6));
        states = states.map((s) => ({ ...s, mark: op === 'or' ? s.mark | m : s.mark ^ m }));
        i += 7;
        continue;
      }
      if (t === 'meta' && peek(1) === 'mark' && peek(2) === '&') {
        // meta mark & M == V
        const m = Number(peek(3));
        const v = Number(peek(5));
        states = keepIf(states, (s) => (s.mark & m) === v);
        i += 6;
        continue;
      }
      if (t === 'dnat') {
        // dnat ip to <expr> map @m   |   dnat ip to ADDR:PORT
        i += 3;
        if (toks.slice(i).includes('map')) {
          const { keys, next } = this.#expr(toks, i, states);
          i = next;
          if (peek() !== 'map') throw new TraceError(`expected map in ${rule}`);
          const set = this.#set(peek(1));
          const out: Step[] = [];
          for (const { key, pkt: s } of keys) {
            const v = set.elements.get(key);
            if (v === undefined) {
              out.push({ verdict: 'continue', pkt: s });
              continue;
            }
            const [ip, , port] = v.split(' ');
            out.push({
              verdict: 'accept',
              pkt: { ...s, daddr: ip ?? '', dport: Number(port), dnatted: true },
            });
          }
          return finish(out);
        }
        const target = peek();
        const { host, port } = splitHostPort(target);
        return finish(
          states.map((s) => ({
            verdict: 'accept',
            pkt: { ...s, daddr: host, dport: port, dnatted: true },
          })),
        );
      }
      if (t === 'numgen') {
        // numgen random mod N vmap { 0 : goto a, 1 : goto b }
        const n = Number(peek(3));
        const arms = parseElements(peek(5));
        i += 6;
        const out: Step[] = [];
        for (const s of states)
          for (let k = 0; k < n; k++) {
            const v = arms.get(String(k));
            if (v === undefined) throw new TraceError(`numgen arm ${k} missing in ${rule}`);
            out.push(...this.#verdict(v, s));
          }
        return finish(this.#continueAfter(out, toks.slice(i), rule));
      }
      // --- matches
      if (t === 'ct' && peek(1) === 'state') {
        const want = peek(2);
        states = keepIf(states, () => want === 'new');
        i += 3;
        continue;
      }
      if (t === 'ct' && peek(1) === 'status') {
        const want = peek(2);
        if (want !== 'dnat') throw new TraceError(`ct status ${want}`);
        states = keepIf(states, (s) => s.dnatted);
        i += 3;
        continue;
      }
      if (t === 'fib') {
        // fib daddr|saddr type [!=] local
        const which = peek(1);
        const neg = peek(3) === '!=';
        i += neg ? 5 : 4;
        states = keepIf(
          states,
          (s) => this.#isLocal(which === 'daddr' ? s.daddr : s.saddr) !== neg,
        );
        continue;
      }
      if (t === 'meta' && peek(1) === 'l4proto' && peek(2) !== '.' && peek(3) !== '.') {
        // meta l4proto tcp (a match, not part of a concatenation)
        if (['tcp', 'udp', 'sctp'].includes(peek(2))) {
          const want = peek(2);
          states = keepIf(states, (s) => s.proto === want);
          i += 3;
          continue;
        }
      }
      // expression [. expression …] followed by vmap / @set / != / value
      const { keys, next } = this.#expr(toks, i, states);
      i = next;
      const op = peek();
      if (op === 'vmap') {
        const ref = peek(1);
        i += 2;
        const elements = ref.startsWith('@') ? this.#set(ref).elements : parseElements(ref);
        const out: Step[] = [];
        for (const { key, pkt: s } of keys) {
          const v = elements.get(key);
          if (v === undefined) out.push({ verdict: 'continue', pkt: s });
          else out.push(...this.#verdict(v, s));
        }
        return finish(this.#continueAfter(out, toks.slice(i), rule));
      }
      const neg = op === '!=';
      if (neg) i++;
      const ref = peek();
      i++;
      const hit = new Set<PacketState>();
      for (const { key, pkt: s } of keys) if (this.#member(key, ref) !== neg) hit.add(s);
      states = keepIf(states, (s) => hit.has(s));
    }
    return finish(states.map((s) => ({ verdict: 'continue', pkt: s })));
  }

  /** After a jump or vmap, the rest of the rule runs for packets that came back. */
  #continueAfter(steps: Step[], rest: string[], rule: string): Step[] {
    if (rest.length === 0 || rest.every((x) => x === 'counter')) return steps;
    if (rest[0] === 'comment') return steps;
    throw new TraceError(`statements after a verdict in ${rule}`);
  }

  #set(ref: string): { elements: Map<string, string | undefined> } {
    const name = ref.replace(/^@/, '');
    const s = this.#t.sets.get(name);
    if (!s) throw new TraceError(`set ${name} does not exist`);
    return s;
  }

  #member(key: string, ref: string): boolean {
    if (ref.startsWith('@')) return this.#set(ref).elements.has(key);
    const values = ref.startsWith('{') ? [...parseElements(ref).keys()] : [ref];
    return values.some((v) => (v.includes('/') ? inCIDR(key, v) : v === key));
  }

  /** Evaluates a (possibly concatenated) expression into keys, branching on numgen. */
  #expr(
    toks: string[],
    start: number,
    states: PacketState[],
  ): { keys: { key: string; pkt: PacketState }[]; next: number } {
    const parts: ((s: PacketState) => string[])[] = [];
    let i = start;
    for (;;) {
      const t = toks[i] ?? '';
      const u = toks[i + 1] ?? '';
      if ((t === 'ip' || t === 'ip6') && (u === 'daddr' || u === 'saddr')) {
        parts.push((s) => [u === 'daddr' ? s.daddr : s.saddr]);
        i += 2;
      } else if (t === 'meta' && u === 'l4proto') {
        parts.push((s) => [s.proto]);
        i += 2;
      } else if (['th', 'tcp', 'udp', 'sctp'].includes(t) && u === 'dport') {
        if (t !== 'th') parts.push((s) => (s.proto === t ? [String(s.dport)] : []));
        else parts.push((s) => [String(s.dport)]);
        i += 2;
      } else if (t === 'numgen' && u === 'random') {
        const n = Number(toks[i + 3]);
        parts.push(() => Array.from({ length: n }, (_, k) => String(k)));
        i += 4;
      } else throw new TraceError(`unknown expression at "${toks.slice(i).join(' ')}"`);
      if (toks[i] !== '.') break;
      i++;
    }
    const keys: { key: string; pkt: PacketState }[] = [];
    for (const s of states) {
      let partial = [''];
      for (const p of parts) {
        const vals = p(s);
        partial = partial.flatMap((pre) => vals.map((v) => (pre === '' ? v : `${pre} . ${v}`)));
      }
      for (const key of partial) keys.push({ key, pkt: s });
    }
    return { keys, next: i };
  }
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function splitHostPort(s: string): { host: string; port: number } {
  const m = /^\[(.*)\]:(\d+)$/.exec(s) ?? /^(.*):(\d+)$/.exec(s);
  if (!m) throw new TraceError(`bad address ${s}`);
  return { host: m[1] ?? '', port: Number(m[2]) };
}

/** Whitespace tokens; `{ … }` groups and quoted strings stay single tokens. */
export function tokenize(rule: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < rule.length) {
    const ch = rule[i] ?? '';
    if (ch === ' ') {
      i++;
      continue;
    }
    if (ch === '{') {
      let depth = 0;
      let j = i;
      for (; j < rule.length; j++) {
        if (rule[j] === '{') depth++;
        if (rule[j] === '}' && --depth === 0) break;
      }
      out.push(rule.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (ch === '"') {
      const j = rule.indexOf('"', i + 1);
      out.push(rule.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < rule.length && rule[j] !== ' ') j++;
    out.push(rule.slice(i, j));
    i = j;
  }
  return out;
}

/** `{ k : v, k2 : v2 }` or `{ a, b }` → map. */
function parseElements(group: string): Map<string, string | undefined> {
  const body = group.replace(/^\{\s*/, '').replace(/\s*\}$/, '');
  const m = new Map<string, string | undefined>();
  for (const item of body
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')) {
    const sep = item.indexOf(' : ');
    if (sep < 0) m.set(item, undefined);
    else m.set(item.slice(0, sep), item.slice(sep + 3));
  }
  return m;
}

/** Address → bigint (IPv4 or IPv6). */
export function ipToBigInt(ip: string): bigint {
  if (!ip.includes(':'))
    return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const [head = '', tail] = ip.includes('::') ? ip.split('::', 2) : [ip, undefined];
  const h = head.split(':').filter((x) => x !== '');
  const t = tail === undefined ? [] : tail.split(':').filter((x) => x !== '');
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function inCIDR(ip: string, cidr: string): boolean {
  const [base = '', bitsText = ''] = cidr.split('/');
  if (base.includes(':') !== ip.includes(':')) return false;
  const width = ip.includes(':') ? 128n : 32n;
  const bits = BigInt(Number(bitsText));
  const shift = width - bits;
  return ipToBigInt(ip) >> shift === ipToBigInt(base) >> shift;
}
