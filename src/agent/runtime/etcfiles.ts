/**
 * The per-pod `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf`, exactly as kubelet writes them
 * (`pkg/kubelet/kubelet_pods.go` managedHostsFileContent / nodeHostsFileContent,
 * `pkg/kubelet/network/dns/dns.go` GetPodDNS) and containerd formats resolv.conf
 * (search, then nameserver, then options lines). Pure functions.
 */
import type { PodDNSConfig } from '../../api/types/core.js';
import type { HostAlias } from './types.js';

export interface HostsFileInput {
  readonly podIPs: readonly string[];
  readonly hostname: string;
  readonly subdomain?: string;
  readonly namespace: string;
  readonly clusterDomain?: string;
  readonly hostAliases?: readonly HostAlias[];
}

function aliasLines(aliases: readonly HostAlias[] | undefined): string {
  if (!aliases || aliases.length === 0) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) out += `${a.ip}\t${a.hostnames.join('\t')}\n`;
  return out;
}

/** The kubelet-managed `/etc/hosts` of a pod with its own network namespace. */
export function managedHostsFile(input: HostsFileInput): string {
  let out =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  const domain = input.subdomain
    ? `${input.subdomain}.${input.namespace}.svc.${input.clusterDomain ?? 'cluster.local'}`
    : '';
  for (const ip of input.podIPs) {
    out += domain
      ? `${ip}\t${input.hostname}.${domain}\t${input.hostname}\n`
      : `${ip}\t${input.hostname}\n`;
  }
  return out + aliasLines(input.hostAliases);
}

/**
 * The `/etc/hosts` of a hostNetwork pod: the node's own file (not managed: no header), plus the
 * hostAliases section.
 */
export function nodeHostsFile(nodeHosts: string, aliases?: readonly HostAlias[]): string {
  const base = nodeHosts === '' || nodeHosts.endsWith('\n') ? nodeHosts : `${nodeHosts}\n`;
  return base + aliasLines(aliases);
}

/** What a resolv.conf says. */
export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

/** Parses resolv.conf text (`nameserver`, `search`/`domain`, `options`; comments ignored). */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let searches: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...fields] = line.split(/\s+/);
    if (key === 'nameserver' && fields[0]) nameservers.push(fields[0]);
    // The last search or domain line wins (resolv.conf(5)).
    else if (key === 'search' || key === 'domain')
      searches = fields.map((s) => s.replace(/\.$/, '')).filter((s) => s !== '');
    else if (key === 'options') options.push(...fields);
  }
  return { nameservers, searches, options };
}

/** containerd's format: `search`, then one `nameserver` line each, then `options`. */
export function formatResolvConf(conf: ResolvConf): string {
  let out = '';
  if (conf.searches.length > 0) out += `search ${conf.searches.join(' ')}\n`;
  for (const ns of conf.nameservers) out += `nameserver ${ns}\n`;
  if (conf.options.length > 0) out += `options ${conf.options.join(' ')}\n`;
  return out;
}

/** kubelet's limits (validation.MaxDNSNameservers, MaxDNSSearchPaths, MaxDNSSearchListChars). */
export const maxNameservers = 3;
export const maxSearches = 32;
export const maxSearchChars = 2048;

function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** Options merge by name; a later `name[:value]` replaces an earlier one. */
function mergeOptions(base: readonly string[], extra: PodDNSConfig['options']): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0] ?? o, o);
  for (const o of extra ?? [])
    byName.set(o.name, o.value !== undefined ? `${o.name}:${o.value}` : o.name);
  return [...byName.values()];
}

function limitSearches(searches: readonly string[]): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const s of searches) {
    if (out.length === maxSearches || chars + s.length + (out.length > 0 ? 1 : 0) > maxSearchChars)
      break;
    chars += s.length + (out.length > 0 ? 1 : 0);
    out.push(s);
  }
  return out;
}

export interface PodDNSInput {
  readonly dnsPolicy?: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  readonly hostNetwork?: boolean;
  readonly namespace: string;
  readonly dnsConfig?: PodDNSConfig;
  /** The cluster DNS service IPs (kubelet --cluster-dns), e.g. `['10.96.0.10']`. */
  readonly clusterDNS: readonly string[];
  readonly clusterDomain?: string;
  /** The node's resolv.conf text (kubelet --resolv-conf). */
  readonly hostResolvConf: string;
}

/**
 * The pod's resolv.conf by dnsPolicy, as kubelet computes it:
 * - `ClusterFirst` (and `ClusterFirstWithHostNet`): the cluster DNS, search
 *   `<ns>.svc.<domain> svc.<domain> <domain>` plus the node's searches, `options ndots:5`.
 *   A hostNetwork pod with `ClusterFirst`, or a cluster without DNS, gets `Default` instead.
 * - `Default`: the node's resolv.conf.
 * - `None`: only `dnsConfig`.
 * `dnsConfig` is merged over the result (servers and searches appended without duplicates,
 * options replaced by name), then kubelet's limits apply.
 */
export function podResolvConf(input: PodDNSInput): string {
  const domain = input.clusterDomain ?? 'cluster.local';
  const host = parseResolvConf(input.hostResolvConf);
  let policy = input.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && input.hostNetwork) policy = 'Default';
  if (
    (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') &&
    input.clusterDNS.length === 0
  )
    policy = 'Default';
  let conf: ResolvConf;
  switch (policy) {
    case 'ClusterFirst':
    case 'ClusterFirstWithHostNet':
      conf = {
        nameservers: input.clusterDNS,
        searches: unique([
          `${input.namespace}.svc.${domain}`,
          `svc.${domain}`,
          domain,
          ...host.searches,
        ]),
        options: ['ndots:5'],
      };
      break;
    case 'Default':
      conf = host;
      break;
    case 'None':
      conf = { nameservers: [], searches: [], options: [] };
      break;
  }
  const extra = input.dnsConfig;
  if (extra) {
    conf = {
      nameservers: unique([...conf.nameservers, ...(extra.nameservers ?? [])]),
      searches: unique([...conf.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(conf.options, extra.options),
    };
  }
  return formatResolvConf({
    nameservers: conf.nameservers.slice(0, maxNameservers),
    searches: limitSearches(conf.searches),
    options: conf.options,
  });
}
