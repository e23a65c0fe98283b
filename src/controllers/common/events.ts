/**
 * The seam through which controllers record core/v1 Events on the objects they act on
 * (`kubectl describe` shows them). The recorder batches, aggregates and writes them; a failed
 * event write never fails a sync.
 */
import type { KubeObject } from '../../api/meta/types.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

/** An event as recorded, for tests. */
export interface RecordedEvent {
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
