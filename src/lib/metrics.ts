/**
 * Prometheus metrics in the text exposition format (version 0.0.4): counters, gauges and
 * histograms with labels, collected in a Registry that a component serves at /metrics.
 */

type LabelValues = Readonly<Record<string, string>>;

function labelKey(labels: LabelValues): string {
  return Object.keys(labels)
    .sort()
    .map(
      (k) =>
        `${k}="${(labels[k] ?? '').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
}

function fmt(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return Number.isNaN(n) ? 'NaN' : String(n);
}

interface Metric {
  readonly name: string;
  expose(): string;
}

export class Counter implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #values = new Map<string, number>();
  constructor(name: string, help: string) {
    this.name = name;
    this.#help = help;
  }
  inc(labels: LabelValues = {}, by = 1): void {
    const k = labelKey(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }
  get(labels: LabelValues = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  expose(): string {
    const lines = [`# HELP ${this.name} ${this.#help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.#values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${fmt(v)}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #values = new Map<string, number>();
  constructor(name: string, help: string) {
    this.name = name;
    this.#help = help;
  }
  set(value: number, labels: LabelValues = {}): void {
    this.#values.set(labelKey(labels), value);
  }
  inc(labels: LabelValues = {}, by = 1): void {
    const k = labelKey(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }
  get(labels: LabelValues = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  expose(): string {
    const lines = [`# HELP ${this.name} ${this.#help}`, `# TYPE ${this.name} gauge`];
    for (const [k, v] of this.#values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${fmt(v)}`);
    return lines.join('\n');
  }
}

/** Cumulative buckets, as Prometheus histograms are. Bucket bounds in the metric's unit (seconds). */
export class Histogram implements Metric {
  readonly name: string;
  readonly #help: string;
  readonly #buckets: readonly number[];
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.#help = help;
    this.#buckets = [...buckets].sort((a, b) => a - b);
  }
  observe(value: number, labels: LabelValues = {}): void {
    const k = labelKey(labels);
    let s = this.#series.get(k);
    if (!s) {
      s = { counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(k, s);
    }
    for (let i = 0; i < this.#buckets.length; i++)
      if (value <= (this.#buckets[i] ?? Infinity)) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += value;
    s.count++;
  }
  /** Total observations for a label set. */
  count(labels: LabelValues = {}): number {
    return this.#series.get(labelKey(labels))?.count ?? 0;
  }
  expose(): string {
    const lines = [`# HELP ${this.name} ${this.#help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.#series) {
      const sep = k ? `${k},` : '';
      this.#buckets.forEach((b, i) =>
        lines.push(`${this.name}_bucket{${sep}le="${fmt(b)}"} ${s.counts[i] ?? 0}`),
      );
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${fmt(s.sum)}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** Exponential bucket bounds: start, start·factor, … (count bounds). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/** A set of metrics served together. */
export class Registry {
  readonly #metrics: Metric[] = [];
  /**
   * Adds a metric. A name registered before returns the first metric instead, so components that
   * share a registry (several HttpClients, several controllers) share its series.
   * @throws Error when the name is taken by a metric of another type.
   */
  register<M extends Metric>(m: M): M {
    const existing = this.#metrics.find((x) => x.name === m.name);
    if (existing) {
      if (existing.constructor !== m.constructor)
        throw new Error(`metric ${m.name} is already registered with another type`);
      return existing as M;
    }
    this.#metrics.push(m);
    return m;
  }
  counter(name: string, help: string): Counter {
    return this.register(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.register(new Gauge(name, help));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, buckets));
  }
  /** The text exposition (Content-Type `text/plain; version=0.0.4`). */
  expose(): string {
    return this.#metrics.map((m) => m.expose()).join('\n') + '\n';
  }
}
