/**
 * DNS vocabulary shared by the cluster DNS: record type and rcode numbers, the records the
 * kubernetes zone produces, and what a resolution of one (name, type) comes to.
 */

/** Record types by number (RFC 1035, 3596, 2782, 6891). */
export const T = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

/** Response codes (RFC 1035 §4.1.1; BADVERS is extended, RFC 6891). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

export const CLASS_IN = 1;

const typeNames: Record<number, string> = Object.fromEntries(
  Object.entries(T).map(([k, v]) => [v, k]),
);

/** `A`, `AAAA`, … or `TYPE<n>` (RFC 3597) for types without a name here. */
export function typeName(t: number): string {
  return typeNames[t] ?? `TYPE${t}`;
}

const rcodeNames: Record<number, string> = Object.fromEntries(
  Object.entries(RCODE).map(([k, v]) => [v, k]),
);

export function rcodeName(r: number): string {
  return rcodeNames[r] ?? `RCODE${r}`;
}

/** The data of the records Portico serves. Names are absolute, without the trailing dot. */
export type RecordData =
  | { readonly type: 'A'; readonly address: string }
  | { readonly type: 'AAAA'; readonly address: string }
  | { readonly type: 'CNAME' | 'PTR' | 'NS'; readonly target: string }
  | {
      readonly type: 'SRV';
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  | { readonly type: 'TXT'; readonly text: readonly string[] }
  | {
      readonly type: 'SOA';
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  /** Records relayed from an upstream as they came (the type's number and its RDATA). */
  | { readonly type: 'RAW'; readonly rrtype: number; readonly rdata: Buffer };

export interface ResourceRecord {
  readonly name: string;
  readonly ttl: number;
  readonly data: RecordData;
}

/**
 * What the kubernetes zone says about one (name, type):
 * - `answer`: records (and additional records); `chase` asks the caller to resolve the CNAME
 *   target outside the zone and append its records (ExternalName services);
 * - `nodata`: the name exists, not with this type; `nxdomain`: the name does not exist;
 * - `refused`: a type the zone does not serve (zone transfers);
 * - `forward`: the name is not the zone's to answer (a reverse name it does not know, with
 *   upstreams to ask: CoreDNS's `fallthrough in-addr.arpa ip6.arpa`).
 * `zone` is the zone the name is in, as configured (lower case).
 */
export type Resolution =
  | {
      readonly kind: 'answer';
      readonly zone: string;
      readonly answer: readonly ResourceRecord[];
      readonly additional: readonly ResourceRecord[];
      readonly chase?: { readonly target: string; readonly type: number };
    }
  | { readonly kind: 'nodata'; readonly zone: string }
  | { readonly kind: 'nxdomain'; readonly zone: string }
  | { readonly kind: 'refused'; readonly zone: string }
  | { readonly kind: 'forward'; readonly zone: string };
