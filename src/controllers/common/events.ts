/** An in-memory EventRecorder for tests: what a controller recorded, in order. */
import type { KubeObject } from '../../api/meta/types.js';
import type { EventRecorder, EventType } from '../../client/events.js';

export type { EventRecorder, EventType };

/** An event as recorded, for tests. */
export interface RecordedEvent {
  /** `Kind/namespace/name` of the involved object. */
  readonly object: string;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

/** Records events in memory; tests assert on `events`. */
export class FakeRecorder implements EventRecorder {
  readonly events: RecordedEvent[] = [];
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const ns = obj.metadata.namespace;
    const object = `${obj.kind ?? ''}/${ns !== undefined && ns !== '' ? `${ns}/` : ''}${obj.metadata.name ?? ''}`;
    this.events.push({ object, type, reason, message });
  }
}
