import { describe, expect, it } from 'vitest';
import { Lifecycle, type LifecycleSteps } from './lifecycle.js';

function recorder(boot: (signal: AbortSignal) => Promise<void> = async () => undefined) {
  const calls: string[] = [];
  const steps: LifecycleSteps = {
    async boot(signal) {
      calls.push('boot');
      await boot(signal);
    },
    run: () => void calls.push('run'),
    drain: async () => void calls.push('drain'),
    teardown: async () => void calls.push('teardown'),
    stopped: () => void calls.push('stopped'),
  };
  return { calls, steps };
}

describe('Lifecycle', () => {
  it('boots, runs, then drains and tears down once however often stop() is called', async () => {
    const { calls, steps } = recorder();
    const lifecycle = new Lifecycle(steps);
    expect(lifecycle.state).toBe('created');
    await lifecycle.start();
    expect(lifecycle.state).toBe('running');
    await Promise.all([lifecycle.stop(), lifecycle.stop()]);
    expect(lifecycle.state).toBe('stopped');
    expect(calls).toEqual(['boot', 'run', 'drain', 'teardown', 'stopped']);
    await expect(lifecycle.start()).rejects.toThrow('start(): the worker is already stopped');
  });

  it('tears down after a failed boot and reports the failure', async () => {
    const { calls, steps } = recorder(async () => {
      throw new Error('no orchestration');
    });
    const lifecycle = new Lifecycle(steps);
    await expect(lifecycle.start()).rejects.toThrow('no orchestration');
    expect(lifecycle.state).toBe('stopped');
    expect(calls).toEqual(['boot', 'teardown']);
  });

  it('aborts a start in progress on stop() and does not drain what never ran', async () => {
    const { calls, steps } = recorder(
      (signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('abandoned')), { once: true }),
        ),
    );
    const lifecycle = new Lifecycle(steps);
    const starting = lifecycle.start();
    expect(lifecycle.state).toBe('starting');
    await lifecycle.stop();
    await expect(starting).rejects.toThrow('abandoned');
    expect(lifecycle.state).toBe('stopped');
    expect(calls).toEqual(['boot', 'teardown']);
  });

  it('drains a start that finished just as stop() was called', async () => {
    const { calls, steps } = recorder(async () => undefined);
    const lifecycle = new Lifecycle(steps);
    const starting = lifecycle.start();
    await lifecycle.stop();
    await starting;
    expect(calls).toEqual(['boot', 'run', 'drain', 'teardown', 'stopped']);
  });

  it('stops a worker that never started without any step', async () => {
    const { calls, steps } = recorder();
    const lifecycle = new Lifecycle(steps);
    await lifecycle.stop();
    expect(lifecycle.state).toBe('stopped');
    expect(calls).toEqual([]);
  });
});
