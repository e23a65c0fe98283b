// kubectl exec and kubectl logs through the API server to a node agent (kubectl-compat §12 rows
// 30–33). The agent is the fake one from src/testing, speaking v5.channel.k8s.io; the real agent
// comes with its own branch and tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest, startTestApiServer, type TestApiServer } from '../../src/testing/apiserver.js';
import { startFakeAgent, type FakeAgent } from '../../src/testing/fakeagent.js';
import { kubectlAvailable } from '../../src/testing/kubectl.js';

// Address plan: the node "n1" is 127.0.0.1 with its agent on the fake agent's port.

const skip = kubectlAvailable() ? false : 'kubectl is not installed';

describe('kubectl exec and logs', { skip }, () => {
  let api: TestApiServer;
  let agent: FakeAgent;

  before(async () => {
    api = await startTestApiServer(undefined);
    agent = await startFakeAgent({ logLines: ['hello from kubia', 'second line'] });
    const status = {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: agent.port } },
    };
    let r = await apiRequest(api, {
      method: 'POST',
      path: '/api/v1/nodes',
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } },
    });
    assert.equal(r.status, 201, r.text);
    r = await apiRequest(api, {
      method: 'PATCH',
      path: '/api/v1/nodes/n1/status',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { status },
    });
    assert.equal(r.status, 200, r.text);
    r = await apiRequest(api, {
      method: 'POST',
      path: '/api/v1/namespaces/default/pods',
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'kubia-abcde' },
        spec: { nodeName: 'n1', containers: [{ name: 'kubia', image: 'luksa/kubia' }] },
      },
    });
    assert.equal(r.status, 201, r.text);
    // kubectl exec refuses pods that are not running.
    r = await apiRequest(api, {
      method: 'PATCH',
      path: '/api/v1/namespaces/default/pods/kubia-abcde/status',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { status: { phase: 'Running' } },
    });
    assert.equal(r.status, 200, r.text);
  });

  after(async () => {
    await api?.stop();
    await agent?.close();
  });

  test('30: exec prints the command output and exits 0', async () => {
    const r = await api.kubectl(['exec', 'kubia-abcde', '--', 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
  });

  test('31: exec of a failing command exits with its code', async () => {
    const r = await api.kubectl(['exec', 'kubia-abcde', '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /command terminated with exit code 3/);
  });

  test('32: exec -i passes stdin', async () => {
    const r = await api.kubectl(['exec', '-i', 'kubia-abcde', '--', 'cat'], { input: 'hello\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\n');
  });

  test('33: logs, logs --tail, logs -f', async () => {
    const all = await api.kubectl(['logs', 'kubia-abcde']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, 'hello from kubia\nsecond line\n');
    const tail = await api.kubectl(['logs', '--tail=1', 'kubia-abcde']);
    assert.equal(tail.stdout, 'second line\n');
    const follow = await api.kubectl(['logs', '-f', 'kubia-abcde'], { timeoutMs: 10_000 });
    assert.equal(follow.timedOut, false, 'kubectl logs -f ends when the agent ends the stream');
    assert.equal(follow.stdout, 'hello from kubia\nsecond line\n');
  });
});
