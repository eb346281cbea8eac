import { CoalescingRunner } from '../../../src/common/coalescing-runner';

describe('CoalescingRunner: one run at a time, no lost wake-up', () => {
  it('turns any number of wake-ups during a run into exactly one more run, never two at once', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const runner = new CoalescingRunner(async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
    }, () => false);
    runner.wake();
    for (let i = 0; i < 10; i++) runner.wake(); // during the first run
    expect(runs).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2); // the one extra run
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2);
    expect(runner.running).toBeNull();
    expect(maxActive).toBe(1);
  });

  it('does nothing once stopped, and settle() reports whether the work caught up in time', async () => {
    let stopped = false;
    let done = 0;
    const runner = new CoalescingRunner(async () => void done++, () => stopped);
    expect(await runner.settle(async () => done >= 3, 2_000)).toBe(true);
    stopped = true;
    const before = done;
    runner.wake();
    expect(done).toBe(before);
    expect(await runner.settle(async () => false, 100)).toBe(false);
  });
});
