/**
 * The proxy's metrics, under kube-proxy's names (pkg/proxy/metrics), so dashboards and
 * clusterloader2's NetworkProgrammingLatency measurement work unchanged against our proxy.
 */
import type { Counter, Gauge, Histogram } from '../lib/metrics.js';
import { Registry, exponentialBuckets } from '../lib/metrics.js';

function linear(start: number, width: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i * width);
}

export interface ProxyMetrics {
  readonly registry: Registry;
  readonly syncDuration: Histogram;
  readonly fullSyncDuration: Histogram;
  readonly partialSyncDuration: Histogram;
  readonly networkProgramming: Histogram;
  readonly endpointChangesPending: Gauge;
  readonly endpointChangesTotal: Counter;
  readonly serviceChangesPending: Gauge;
  readonly serviceChangesTotal: Counter;
  readonly lastSyncTimestamp: Gauge;
  readonly lastQueuedTimestamp: Gauge;
  readonly nftablesSyncFailures: Counter;
  readonly syncFailures: Counter;
  readonly syncOperations: Histogram;
}

export function newProxyMetrics(registry = new Registry()): ProxyMetrics {
  const syncBuckets = exponentialBuckets(0.001, 2, 15);
  return {
    registry,
    syncDuration: registry.histogram(
      'kubeproxy_sync_proxy_rules_duration_seconds',
      'SyncProxyRules latency in seconds',
      syncBuckets,
    ),
    fullSyncDuration: registry.histogram(
      'kubeproxy_sync_full_proxy_rules_duration_seconds',
      'SyncProxyRules latency in seconds for full resyncs',
      syncBuckets,
    ),
    partialSyncDuration: registry.histogram(
      'kubeproxy_sync_partial_proxy_rules_duration_seconds',
      'SyncProxyRules latency in seconds for partial resyncs',
      syncBuckets,
    ),
    networkProgramming: registry.histogram(
      'kubeproxy_network_programming_duration_seconds',
      'In Cluster Network Programming Latency in seconds',
      [...linear(0.25, 0.25, 2), ...linear(1, 1, 59), ...linear(60, 5, 12), ...linear(120, 30, 7)],
    ),
    endpointChangesPending: registry.gauge(
      'kubeproxy_sync_proxy_rules_endpoint_changes_pending',
      'Pending proxy rules Endpoint changes',
    ),
    endpointChangesTotal: registry.counter(
      'kubeproxy_sync_proxy_rules_endpoint_changes_total',
      'Cumulative proxy rules Endpoint changes',
    ),
    serviceChangesPending: registry.gauge(
      'kubeproxy_sync_proxy_rules_service_changes_pending',
      'Pending proxy rules Service changes',
    ),
    serviceChangesTotal: registry.counter(
      'kubeproxy_sync_proxy_rules_service_changes_total',
      'Cumulative proxy rules Service changes',
    ),
    lastSyncTimestamp: registry.gauge(
      'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
      'The last time proxy rules were successfully synced',
    ),
    lastQueuedTimestamp: registry.gauge(
      'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds',
      'The last time a sync of proxy rules was queued',
    ),
    nftablesSyncFailures: registry.counter(
      'kubeproxy_sync_proxy_rules_nftables_sync_failures_total',
      'Cumulative proxy nftables sync failures',
    ),
    syncFailures: registry.counter(
      'portico_proxy_sync_failures_total',
      'Cumulative failed syncs, by backend',
    ),
    syncOperations: registry.histogram(
      'portico_proxy_sync_operations',
      'Objects written per sync (elements, chains, sets, listeners)',
      exponentialBuckets(1, 4, 12),
    ),
  };
}
