import { describe, expect, it } from 'vitest';
import { metricsText } from './hooks.js';
import { createMetrics } from './registry.js';

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('scrape-time collectors', () => {
  it('read the gauges from the collectors on every scrape', async () => {
    let depth = 4;
    const metrics = createMetrics({
      defaultMetrics: false,
      collectors: {
        queueDepth: async () => [{ namespace: 'billing', depth }],
        connections: async () => [{ state: 'idle in transaction', connections: 2 }],
      },
    });
    let text = await metricsText(metrics);
    expect(sample(text, 'tasker_queue_depth', '{namespace="billing"}')).toBe(4);
    expect(sample(text, 'tasker_db_connections', '{state="idle_in_transaction"}')).toBe(2);
    depth = 1;
    text = await metricsText(metrics);
    expect(sample(text, 'tasker_queue_depth', '{namespace="billing"}')).toBe(1);
  });

  it('leave a gauge empty without its collector, and count a failing or slow one', async () => {
    const metrics = createMetrics({
      defaultMetrics: false,
      collectTimeoutMs: 20,
      collectors: {
        queueDepth: () => Promise.reject(new Error('no database')),
        connections: () => new Promise(() => undefined),
      },
    });
    const text = await metricsText(metrics);
    expect(text).not.toMatch(/^tasker_queue_depth\{/m);
    expect(text).not.toMatch(/^tasker_db_connections\{/m);
    expect(sample(text, 'tasker_metrics_collect_errors_total', '{collector="queue_depth"}')).toBe(1);
    expect(sample(text, 'tasker_metrics_collect_errors_total', '{collector="db_connections"}')).toBe(1);

    const none = await metricsText(createMetrics({ defaultMetrics: false }));
    expect(none).not.toMatch(/^tasker_queue_depth\{/m);
    expect(none).not.toMatch(/^tasker_metrics_collect_errors_total\{/m);
  });
});
