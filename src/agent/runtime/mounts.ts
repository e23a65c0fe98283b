/**
 * Mount plumbing of the runc runtime: the host-root view, container overlays, and cgroup mounts.
 *
 * Why a host-root view: a container's root is `overlay(lowerdir=<image layers>:<host root>)`, but
 * the layers live on the root filesystem itself, and overlayfs refuses lower layers nested in one
 * another ("overlapping lowerdir path", ELOOP; checked on Linux 6.x). So the runtime mounts the
 * host's root once as a read-only overlay of its own (`<root>/hostroot`, lowerdir `<empty>:/`,
 * where the empty directory is on a small tmpfs): a different superblock, which the layers may
 * then sit on. Like `/` itself as an overlay lower, the view shows only the root filesystem,
 * never the mounts on top of it (/proc, /sys, /dev, tmpfs /run).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../../lib/exec.js';
import { RuntimeError } from './errors.js';

export interface MountInfo {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
  /** Per-superblock options (`rw,cpu` for a cgroup v1 hierarchy). */
  readonly superOptions: string;
}

/** Decodes the octal escapes of /proc/self/mountinfo (`\040` for a space). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses /proc/<pid>/mountinfo text. */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    out.push({
      mountPoint: unescape(left[4] ?? ''),
      fsType: right[0] ?? '',
      source: unescape(right[1] ?? ''),
      superOptions: right[2] ?? '',
    });
  }
  return out;
}

export function readMounts(pid: number | 'self' = 'self'): MountInfo[] {
  return parseMountInfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
}

export function isMountPoint(path: string, mounts: readonly MountInfo[] = readMounts()): boolean {
  return mounts.some((m) => m.mountPoint === path);
}

async function mount(args: readonly string[]): Promise<void> {
  try {
    await exec('mount', args);
  } catch (e) {
    throw new RuntimeError(`mount ${args.join(' ')} failed`, { cause: e });
  }
}

/** Unmounts when mounted (lazily when busy); a no-op otherwise. */
export async function unmountIfMounted(path: string): Promise<void> {
  for (let i = 0; i < 8 && isMountPoint(path); i++) {
    const r = await exec('umount', [path], { allowFailure: true });
    if (r.code !== 0) await exec('umount', ['-l', path], { allowFailure: true });
  }
}

/**
 * Mounts the read-only view of the host's root at `<root>/hostroot` unless it is there already.
 * Returns its path.
 */
export async function ensureHostRootView(runtimeRoot: string): Promise<string> {
  const scratch = join(runtimeRoot, 'hostroot-scratch');
  const view = join(runtimeRoot, 'hostroot');
  const mounts = readMounts();
  if (isMountPoint(view, mounts)) return view;
  mkdirSync(scratch, { recursive: true });
  mkdirSync(view, { recursive: true });
  if (!isMountPoint(scratch, mounts)) {
    await mount(['-t', 'tmpfs', '-o', 'size=64k,mode=755', 'portico-scratch', scratch]);
  }
  mkdirSync(join(scratch, 'empty'), { recursive: true });
  await mount([
    '-t',
    'overlay',
    '-o',
    `ro,lowerdir=${join(scratch, 'empty')}:/`,
    'portico-hostroot',
    view,
  ]);
  return view;
}

/** Unmounts the host-root view (after every container overlay is gone). */
export async function removeHostRootView(runtimeRoot: string): Promise<void> {
  await unmountIfMounted(join(runtimeRoot, 'hostroot'));
  await unmountIfMounted(join(runtimeRoot, 'hostroot-scratch'));
}

/** overlayfs rejects mount data over one page: long layer lists need shorter paths. */
const maxMountData = 4000;

/**
 * Mounts a container root: the layers (bottom first) over the host-root view, with a private
 * writable upper directory. Idempotent.
 */
export async function mountOverlay(options: {
  target: string;
  layers: readonly string[];
  hostRoot: string;
  upper: string;
  work: string;
}): Promise<void> {
  if (isMountPoint(options.target)) return;
  for (const d of [options.target, options.upper, options.work]) mkdirSync(d, { recursive: true });
  const lower = [...options.layers].reverse().concat(options.hostRoot).join(':');
  const data = `lowerdir=${lower},upperdir=${options.upper},workdir=${options.work}`;
  if (data.length > maxMountData) {
    throw new RuntimeError(
      `the image has too many layers for one overlay mount (${options.layers.length})`,
    );
  }
  await mount(['-t', 'overlay', '-o', data, 'portico-rootfs', options.target]);
}

/**
 * Makes sure cgroup hierarchies are mounted in this mount namespace: runc needs them, and
 * `ip netns exec` (how `portico sandbox` starts node agents) remounts /sys without them. The
 * hierarchies of PID 1 are mounted again here, in our own namespace only (mounting a v1 hierarchy
 * with the same options attaches to the existing one; nothing on the host changes).
 */
export async function ensureCgroupMounts(): Promise<void> {
  const mine = readMounts().filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2');
  if (mine.length > 0) return;
  let init: MountInfo[];
  try {
    init = readMounts(1).filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2');
  } catch (e) {
    throw new RuntimeError('no cgroup mounts here and /proc/1/mountinfo is unreadable', {
      cause: e,
    });
  }
  if (init.length === 0) throw new RuntimeError('no cgroup filesystem is mounted on this machine');
  const roots = new Set(
    init.map((m) => m.mountPoint.slice(0, m.mountPoint.lastIndexOf('/')) || '/'),
  );
  const v2only = init.length === 1 && init[0]?.fsType === 'cgroup2';
  if (!v2only) {
    for (const r of roots) {
      if (!existsSync(r)) mkdirSync(r, { recursive: true });
      if (!isMountPoint(r)) await mount(['-t', 'tmpfs', '-o', 'mode=755', 'cgroup_root', r]);
    }
  }
  for (const m of init) {
    mkdirSync(m.mountPoint, { recursive: true });
    const opts = m.superOptions
      .split(',')
      .filter((o) => o !== 'rw' && o !== 'ro')
      .join(',');
    await mount([
      '-t',
      m.fsType,
      ...(opts ? ['-o', opts] : []),
      m.source || 'cgroup',
      m.mountPoint,
    ]);
  }
}
