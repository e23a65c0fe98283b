import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';
import { decideDependent, decideOwner, type OwnerState } from './decide.js';

const ref = (uid: string, block = true): OwnerReference => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  name: uid,
  uid,
  controller: true,
  blockOwnerDeletion: block,
});
const dep = (refs: OwnerReference[], extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  metadata: { name: 'p', namespace: 'default', uid: 'dep', ownerReferences: refs, ...extra },
});
const states = (o: Record<string, OwnerState>) => new Map(Object.entries(o));

const cases: {
  name: string;
  dependent: KubeObject;
  owners: Record<string, OwnerState>;
  hasDependents?: boolean;
  want: unknown;
}[] = [
  {
    name: 'owner present',
    dependent: dep([ref('rc')]),
    owners: { rc: 'solid' },
    want: { action: 'keep' },
  },
  {
    name: 'owner gone: background delete',
    dependent: dep([ref('rc')]),
    owners: { rc: 'absent' },
    want: { action: 'delete', propagationPolicy: 'Background' },
  },
  {
    name: 'one of two owners gone: drop its reference',
    dependent: dep([ref('a'), ref('b')]),
    owners: { a: 'solid', b: 'absent' },
    want: { action: 'patchOwners', ownerReferences: [ref('a')] },
  },
  {
    name: 'owner waiting in foreground: delete',
    dependent: dep([ref('rc')]),
    owners: { rc: 'waiting' },
    want: { action: 'delete', propagationPolicy: 'Background' },
  },
  {
    name: 'owner waiting, dependent has dependents: foreground',
    dependent: dep([ref('d')]),
    owners: { d: 'waiting' },
    hasDependents: true,
    want: { action: 'delete', propagationPolicy: 'Foreground' },
  },
  {
    name: 'solid and waiting owners: unblock the waiting one',
    dependent: dep([ref('a'), ref('b')]),
    owners: { a: 'solid', b: 'waiting' },
    want: { action: 'patchOwners', ownerReferences: [ref('a'), ref('b', false)] },
  },
  {
    name: 'unresolvable owner is kept',
    dependent: dep([ref('x')]),
    owners: {},
    want: { action: 'keep' },
  },
  {
    name: 'already being deleted',
    dependent: dep([ref('rc')], { deletionTimestamp: 't' }),
    owners: { rc: 'absent' },
    want: { action: 'keep' },
  },
  {
    name: 'own orphan finalizer is respected',
    dependent: dep([ref('rc')], { finalizers: ['orphan'] }),
    owners: { rc: 'absent' },
    want: { action: 'delete', propagationPolicy: 'Orphan' },
  },
];
for (const c of cases) {
  test(`decideDependent(): ${c.name}`, () => {
    assert.deepEqual(
      decideDependent(c.dependent, states(c.owners), c.hasDependents ?? false),
      c.want,
    );
  });
}

const owner = (finalizers: string[]): KubeObject => ({
  metadata: { name: 'kubia', namespace: 'default', uid: 'rc', deletionTimestamp: 't', finalizers },
});

test('decideOwner() orphans dependents, then removes the orphan finalizer (--cascade=orphan)', () => {
  const d = decideOwner(owner(['orphan']), [dep([ref('rc')])]);
  assert.equal(d.action, 'orphan');
  assert.deepEqual(decideOwner(owner(['orphan']), [dep([])]), {
    action: 'removeFinalizer',
    finalizer: 'orphan',
  });
});

test('decideOwner() deletes dependents in the foreground and waits for blocking ones', () => {
  assert.equal(
    decideOwner(owner(['foregroundDeletion']), [dep([ref('rc')])]).action,
    'deleteDependents',
  );
  assert.deepEqual(
    decideOwner(owner(['foregroundDeletion']), [dep([ref('rc')], { deletionTimestamp: 't' })]),
    { action: 'none' },
    'waits for a dependent still terminating',
  );
  assert.deepEqual(
    decideOwner(owner(['foregroundDeletion']), [dep([ref('rc', false)])]).action,
    'removeFinalizer',
    'non-blocking dependents do not hold it',
  );
  assert.deepEqual(decideOwner(owner(['foregroundDeletion']), []), {
    action: 'removeFinalizer',
    finalizer: 'foregroundDeletion',
  });
  assert.deepEqual(
    decideOwner({ metadata: { uid: 'x' } }, []),
    { action: 'none' },
    'not being deleted',
  );
});
