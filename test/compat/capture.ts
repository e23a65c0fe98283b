/**
 * A tiny HTTP server on 127.0.0.1 that real kubectl talks to, serving just enough (/version
 * v1.32, aggregated discovery, /openapi/v3) and recording every write: the tool for testing what
 * kubectl sends (protobuf bodies, strategic merge patches) before a full API server is involved.
 * Objects answered for GET come from `objects`, keyed by URL path.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aggregatedContentTypeV2,
  aggregatedDiscovery,
  wantsAggregated,
} from '../../src/apiserver/discovery.js';
import { openapiV3Document, openapiV3Index } from '../../src/apiserver/encoding/openapi.js';
import {
  openapiV2Protobuf,
  openapiV2ProtobufType,
} from '../../src/apiserver/encoding/openapiv2.js';

export const kubectl132 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

export interface Captured {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

export interface CaptureServer {
  readonly url: string;
  readonly writes: Captured[];
  /** Objects served for GET by path (`/api/v1/namespaces/default/services/x`). */
  readonly objects: Map<string, unknown>;
  /** Serve /openapi/v3 (true by default); without it kubectl falls back to its compiled-in types. */
  openapi: boolean;
  /** What a write answers: defaults to 201 with `{kind, apiVersion, metadata: {name}}`. */
  respond: (w: Captured, res: ServerResponse) => void;
  /** Runs kubectl 1.32 against the server with a private kubeconfig and cache. */
  kubectl(
    args: string[],
    stdin?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  readonly dir: string;
  close(): Promise<void>;
}

const version = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function send(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
): void {
  res.writeHead(code, { 'Content-Type': contentType });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, path: string): void {
  send(res, 404, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `the server could not find the requested resource (${path})`,
    reason: 'NotFound',
    code: 404,
  });
}

/** Starts a capture server; stop it with close(). */
export async function startCaptureServer(): Promise<CaptureServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ptest-capture-'));
  const writes: Captured[] = [];
  const objects = new Map<string, unknown>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const path = u.pathname;
      const method = req.method ?? 'GET';
      if (method === 'GET') {
        if (path === '/version') return send(res, 200, version);
        if (path === '/api' || path === '/apis') {
          const v = wantsAggregated(req.headers.accept);
          if (v === 'v2') {
            return send(
              res,
              200,
              aggregatedDiscovery(path === '/api' ? 'api' : 'apis', 'v2'),
              aggregatedContentTypeV2,
            );
          }
          return notFound(res, path);
        }
        if (path === '/openapi/v2' && cap.openapi) {
          res.writeHead(200, { 'Content-Type': openapiV2ProtobufType });
          res.end(openapiV2Protobuf());
          return;
        }
        if (path === '/openapi/v3' && cap.openapi) return send(res, 200, openapiV3Index());
        if (path.startsWith('/openapi/v3/') && cap.openapi) {
          const doc = openapiV3Document(path.slice('/openapi/v3/'.length));
          return doc ? send(res, 200, doc) : notFound(res, path);
        }
        const obj = objects.get(path);
        return obj === undefined ? notFound(res, path) : send(res, 200, obj);
      }
      const w: Captured = {
        method,
        path,
        query: u.searchParams,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks),
      };
      writes.push(w);
      cap.respond(w, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "${url}"}}]`,
      'users: [{name: u, user: {}}]',
      'contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]',
      'current-context: c',
      '',
    ].join('\n'),
  );
  const cap: CaptureServer = {
    url,
    writes,
    objects,
    dir,
    openapi: true,
    respond(w, res) {
      const name = w.path.split('/').pop() ?? 'x';
      send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: { name }, status: 'Success' });
    },
    kubectl(args, stdin) {
      return new Promise((resolve) => {
        const child = execFile(
          kubectl132,
          args,
          {
            cwd: dir,
            env: {
              PATH: process.env['PATH'] ?? '',
              HOME: dir,
              KUBECONFIG: kubeconfig,
              KUBECACHEDIR: join(dir, 'cache'),
            },
            timeout: 30_000,
          },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
        if (stdin !== undefined) child.stdin?.end(stdin);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cap;
}
