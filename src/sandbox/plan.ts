/**
 * The address plan of a sandbox, as data. Every sandbox gets one /24 of 198.18.0.0/15 (RFC 2544's
 * benchmarking range: never routed on the internet, and nothing on these machines uses it):
 *
 *   198.18.<index>.2        server   (API server, controllers)
 *   198.18.<index>.10+i     node<i>  (agent, proxy, dns)
 *   198.18.<index>.100      client   (an outside host on the nodes' LAN)
 *   198.18.<index>.254      this host's end of the LAN, so kubectl on the host reaches the server
 *
 * All of them hang off one bridge inside the sandbox's `lan` namespace. No namespace has a default
 * route, and the host does not forward: nothing in a sandbox can reach anything outside it.
 */

export interface SandboxHost {
  /** `server`, `node1`…, `client`. */
  readonly name: string;
  readonly role: 'server' | 'node' | 'client';
  /** The network namespace (`ip netns` name). */
  readonly netns: string;
  readonly ip: string;
  /** The veth end inside the lan namespace that plugs this host into the bridge. */
  readonly lanPort: string;
}

export interface SandboxPlan {
  readonly name: string;
  readonly index: number;
  readonly subnet: string;
  readonly prefixLength: 24;
  readonly lanNetns: string;
  readonly bridge: string;
  /** The veth on this host plugged into the LAN. */
  readonly hostLink: string;
  readonly hostIP: string;
  readonly hosts: readonly SandboxHost[];
}

const nameRule = /^[a-z][a-z0-9]{0,7}$/;

/** Sandbox names become interface names (15 characters at most), so they stay short. */
export function validateSandboxName(name: string): string | undefined {
  return nameRule.test(name)
    ? undefined
    : `sandbox name ${JSON.stringify(name)} must match ${nameRule.source}`;
}

export function planSandbox(options: { name: string; index: number; nodes: number }): SandboxPlan {
  const { name, index, nodes } = options;
  if (index < 1 || index > 254) throw new RangeError(`sandbox index ${index} is outside 1..254`);
  if (nodes < 1 || nodes > 80) throw new RangeError(`a sandbox has 1..80 nodes, not ${nodes}`);
  const base = `198.18.${index}`;
  const host = (hostName: string, role: SandboxHost['role'], last: number): SandboxHost => ({
    name: hostName,
    role,
    netns: `portico-${name}-${hostName}`,
    ip: `${base}.${last}`,
    lanPort: `p${last}`,
  });
  const hosts: SandboxHost[] = [host('server', 'server', 2)];
  for (let i = 1; i <= nodes; i++) hosts.push(host(`node${i}`, 'node', 10 + i));
  hosts.push(host('client', 'client', 100));
  return {
    name,
    index,
    subnet: `${base}.0/24`,
    prefixLength: 24,
    lanNetns: `portico-${name}-lan`,
    bridge: 'br0',
    hostLink: `portico-sb-${name}`.slice(0, 15),
    hostIP: `${base}.254`,
    hosts,
  };
}
