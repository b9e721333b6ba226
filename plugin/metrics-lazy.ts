// prom-client (~7 MiB of the proxy's RSS once loaded) is loaded only by a config that turns the
// metrics listener on: issue 16's idle proxy stays under its memory target without it.
import type { MetricsServer } from '../src/ops/metrics.js';

export async function listenMetricsLazily(listen: { host: string; port: number }): Promise<MetricsServer> {
  const { listenMetrics } = await import('../src/ops/metrics.js');
  return listenMetrics(listen);
}
