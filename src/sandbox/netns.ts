/** Network namespace plumbing through `ip` (iproute2). Every call is one short command. */
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { exec } from '../lib/exec.js';

export async function ip(args: readonly string[]): Promise<void> {
  await exec('ip', args);
}

export async function netnsExists(name: string): Promise<boolean> {
  const r = await exec('ip', ['netns', 'list'], { allowFailure: true });
  return r.stdout.split('\n').some((l) => l.split(' ')[0] === name);
}

export async function addNetns(name: string): Promise<void> {
  await ip(['netns', 'add', name]);
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function deleteNetns(name: string): Promise<void> {
  await exec('ip', ['netns', 'delete', name], { allowFailure: true });
}

export async function linkExists(name: string): Promise<boolean> {
  const r = await exec('ip', ['link', 'show', name], { allowFailure: true });
  return r.code === 0;
}

/** The inode of a named network namespace, to find the processes inside it. */
export function netnsInode(name: string): number | undefined {
  try {
    return statSync(`/run/netns/${name}`).ino;
  } catch {
    return undefined;
  }
}

/** PIDs of every process whose network namespace is one of `inodes`. */
export function pidsInNetns(inodes: ReadonlySet<number>): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const link = readlinkSync(`/proc/${entry}/ns/net`); // "net:[4026532289]"
      const m = /\[(\d+)\]/.exec(link);
      if (m && inodes.has(Number(m[1]))) pids.push(Number(entry));
    } catch {
      // the process exited, or is not ours to read
    }
  }
  return pids;
}
