/**
 * runInLanes, which `reef run` uses to keep one image per TPU in flight on a pipelined segment set:
 * how many items run at once, that lines come out in image order whatever finishes first, and that
 * nothing is printed after a failed image.
 */
import { describe, expect, it } from 'vitest';
import { runInLanes } from '../../../src/cli/run/image-lanes.ts';

/** Items whose results the test hands out by hand, in any order. */
function handHeld(count: number) {
  const settle: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  const started: number[] = [];
  let running = 0;
  let most = 0;
  const run = (i: number): Promise<string> => {
    started.push(i);
    running++;
    most = Math.max(most, running);
    return new Promise<string>((resolve, reject) => {
      settle[i] = {
        resolve: (v) => (running--, resolve(v)),
        reject: (e) => (running--, reject(e)),
      };
    });
  };
  return { run, settle, started, most: () => most, count };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('runInLanes', () => {
  it('keeps `lanes` items in flight and prints in item order when a later one finishes first', async () => {
    const items = handHeld(4);
    const printed: string[] = [];
    const done = runInLanes(4, 2, items.run, (line) => printed.push(line));
    await tick();
    expect(items.started).toEqual([0, 1]);
    items.settle[1]!.resolve('b');
    await tick();
    expect(printed).toEqual([]); // item 0 is still running: b waits for it
    items.settle[0]!.resolve('a');
    await tick();
    expect(printed).toEqual(['a', 'b']);
    expect(items.started).toEqual([0, 1, 2, 3]);
    items.settle[3]!.resolve('d');
    items.settle[2]!.resolve('c');
    await done;
    expect(printed).toEqual(['a', 'b', 'c', 'd']);
    expect(items.most()).toBe(2);
  });

  it('one lane runs one item at a time', async () => {
    const items = handHeld(3);
    const printed: string[] = [];
    const done = runInLanes(3, 1, items.run, (line) => printed.push(line));
    for (const [i, v] of ['a', 'b', 'c'].entries()) {
      await tick();
      expect(items.started).toHaveLength(i + 1);
      items.settle[i]!.resolve(v);
    }
    await done;
    expect(printed).toEqual(['a', 'b', 'c']);
    expect(items.most()).toBe(1);
  });

  it('throws the first failure in item order and prints nothing after it', async () => {
    const items = handHeld(3);
    const printed: string[] = [];
    const done = runInLanes(3, 2, items.run, (line) => printed.push(line));
    await tick();
    items.settle[1]!.reject(new Error('image 1 is not an image'));
    items.settle[0]!.resolve('a');
    await expect(done).rejects.toThrow('image 1 is not an image');
    expect(printed).toEqual(['a']);
  });
});
