/**
 * The images Portico ships: present on every node without an import, built from the host (the
 * bottom layer of every container is the host's root filesystem) plus small layers written here:
 * the TypeScript apps of `apps/` run by the host's `node`, launchers, a TLS pair for porter, and
 * busybox applet links. Each layer is materialised once per content hash under the store.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageConfig } from './types.js';

/** A file of a built-in layer: path inside the image → content (or a symlink target). */
export type LayerFile =
  | { readonly path: string; readonly content: string | Buffer; readonly mode?: number }
  | { readonly path: string; readonly symlink: string };

export interface BuiltinLayer {
  readonly name: string;
  readonly files: readonly LayerFile[];
}

export interface BuiltinImage {
  /** Normalised repositories (`docker.io/luksa/kubia`). */
  readonly repositories: readonly string[];
  /** Tags it answers to; `*` = any tag (the apps behave the same across upstream versions). */
  readonly tags: readonly string[] | '*';
  /** The tag `image list` shows. */
  readonly displayTag: string;
  readonly layers: readonly BuiltinLayer[];
  readonly config: ImageConfig;
}

export const appsDir = '/usr/lib/portico-apps';
const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The compiled apps (dist/src/agent/images/apps/*.js), test files excluded. */
export function appSources(dir = join(dirname(fileURLToPath(import.meta.url)), 'apps')): LayerFile[] {
  const files: LayerFile[] = [
    { path: `${appsDir}/package.json`, content: '{ "type": "module" }\n' },
  ];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.js') || name.endsWith('.test.js')) continue;
    files.push({ path: `${appsDir}/${name}`, content: readFileSync(join(dir, name)) });
  }
  return files;
}

export interface BuiltinOptions {
  /** The Node binary the apps run with (the host's). */
  readonly node: string;
  /** The apps layer files (appSources()). */
  readonly apps: readonly LayerFile[];
  /** PEM pair for porter's TLS ports (`/localhost.crt`, `/localhost.key`). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Absolute path of a busybox binary on the host, when there is one. */
  readonly busybox?: string;
  /** Busybox applets the host lacks (linked to busybox in /usr/local/bin). */
  readonly busyboxApplets?: readonly string[];
}

function launcher(module: string, call: string): LayerFile {
  // CommonJS (no package.json above `/`): a dynamic import reaches the ESM apps.
  return {
    path: '/app.js',
    content: `import(${JSON.stringify(`${appsDir}/${module}`)}).then((m) => m.${call});\n`,
    mode: 0o644,
  };
}

function shLauncher(path: string, node: string, module: string): LayerFile[] {
  const entry = `${appsDir}/cmd-${module}`;
  return [
    {
      path: entry,
      content: `import { main } from './${module}';\nmain(process.argv.slice(2));\n`,
      mode: 0o644,
    },
    {
      path,
      content: `#!/bin/sh\nexec ${shellQuote(node)} ${shellQuote(entry)} "$@"\n`,
      mode: 0o755,
    },
  ];
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The images, given what the host provides. */
export function builtinImages(o: BuiltinOptions): BuiltinImage[] {
  const nodeDir = dirname(o.node);
  const path = defaultPath.split(':').includes(nodeDir) ? defaultPath : `${nodeDir}:${defaultPath}`;
  const apps: BuiltinLayer = { name: 'apps', files: o.apps };
  const nodeEnv = [`PATH=${path}`, 'NODE_ENV=production'];
  const kubia = (variant: string): BuiltinLayer => ({
    name: `kubia-${variant}`,
    files: [launcher('kubia.js', `kubia(${JSON.stringify(variant)})`)],
  });
  const kubiaConfig: ImageConfig = {
    entrypoint: ['node', 'app.js'],
    env: nodeEnv,
    workingDir: '/',
    exposedPorts: ['8080/tcp'],
  };
  const agnhostFiles: LayerFile[] = shLauncher('/agnhost', o.node, 'agnhost.js');
  if (o.tls) {
    agnhostFiles.push(
      { path: '/localhost.crt', content: o.tls.cert, mode: 0o644 },
      { path: '/localhost.key', content: o.tls.key, mode: 0o600 },
    );
  }
  const busyboxFiles: LayerFile[] =
    o.busybox && o.busyboxApplets
      ? o.busyboxApplets.map((a) => ({ path: `/usr/local/bin/${a}`, symlink: o.busybox ?? '' }))
      : [];
  const pauseScript: LayerFile = {
    path: '/pause',
    content: "#!/bin/sh\ntrap 'exit 0' TERM INT\nwhile :; do sleep 3600 & wait $!; done\n",
    mode: 0o755,
  };
  return [
    {
      repositories: ['docker.io/luksa/kubia', 'docker.io/wanstack/kubia'],
      tags: ['latest'],
      displayTag: 'latest',
      layers: [apps, kubia('latest')],
      config: kubiaConfig,
    },
    ...(['v1', 'v2', 'v3'] as const).map((v) => ({
      repositories: ['docker.io/luksa/kubia'],
      tags: [v],
      displayTag: v,
      layers: [apps, kubia(v)],
      config: kubiaConfig,
    })),
    {
      repositories: ['docker.io/luksa/kubia-unhealthy'],
      tags: ['latest'],
      displayTag: 'latest',
      layers: [apps, kubia('unhealthy')],
      config: kubiaConfig,
    },
    {
      repositories: [
        'registry.k8s.io/e2e-test-images/agnhost',
        'k8s.gcr.io/e2e-test-images/agnhost',
        'gcr.io/kubernetes-e2e-test-images/agnhost',
        'docker.io/library/agnhost',
      ],
      tags: '*',
      displayTag: '2.53',
      layers: [apps, { name: 'agnhost', files: agnhostFiles }],
      config: { entrypoint: ['/agnhost'], env: nodeEnv, workingDir: '/', exposedPorts: ['80/tcp', '8080/tcp'] },
    },
    {
      repositories: [
        'registry.k8s.io/ingressconformance/echoserver',
        'k8s.gcr.io/ingressconformance/echoserver',
        'gcr.io/k8s-staging-ingressconformance/echoserver',
      ],
      tags: '*',
      displayTag: 'v20221109-7ee2f3e',
      layers: [apps, { name: 'echoserver', files: shLauncher('/echoserver', o.node, 'echoserver.js') }],
      config: { entrypoint: ['/echoserver'], env: nodeEnv, workingDir: '/', exposedPorts: ['3000/tcp'] },
    },
    {
      repositories: ['registry.k8s.io/pause', 'k8s.gcr.io/pause', 'docker.io/library/pause'],
      tags: '*',
      displayTag: '3.10',
      layers: [{ name: 'pause', files: [pauseScript] }],
      config: { entrypoint: ['/pause'], env: [`PATH=${defaultPath}`] },
    },
    {
      repositories: ['docker.io/library/busybox', 'registry.k8s.io/e2e-test-images/busybox'],
      tags: '*',
      displayTag: 'latest',
      layers: [{ name: 'busybox', files: busyboxFiles }],
      config: { cmd: ['sh'], env: [`PATH=${defaultPath}`] },
    },
    {
      repositories: [
        'docker.io/tutum/dnsutils',
        'registry.k8s.io/e2e-test-images/jessie-dnsutils',
        'gcr.io/kubernetes-e2e-test-images/dnsutils',
      ],
      tags: '*',
      displayTag: 'latest',
      layers: [],
      config: { cmd: ['/bin/bash'], env: [`PATH=${defaultPath}`] },
    },
  ];
}

/** Busybox applets not found in the host's standard PATH (what a busybox image adds). */
export function missingBusyboxApplets(busybox: string): string[] {
  let list: string;
  try {
    list = execFileSync(busybox, ['--list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const dirs = defaultPath.split(':');
  return list
    .split('\n')
    .map((a) => a.trim())
    .filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== '[' && a !== '[[')
    .filter((a) => !dirs.some((d) => existsSync(join(d, a))));
}

/** The content hash of a layer (names its directory). */
export function layerHash(layer: BuiltinLayer): string {
  const h = createHash('sha256');
  for (const f of layer.files) {
    h.update(f.path + '\0');
    if ('symlink' in f) h.update(`->${f.symlink}\0`);
    else h.update(`${f.mode ?? 0o644}\0`).update(f.content);
  }
  return h.digest('hex');
}
