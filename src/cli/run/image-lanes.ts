/**
 * Several images through a model that takes several at once (a segment set pipelined over TPUs:
 * one frame per TPU in flight): up to `lanes` images run together, and their lines are printed
 * in image order, each as soon as it and every image before it are done. One lane is the plain
 * one-image-after-the-other loop.
 */

/**
 * Runs `count` items with at most `lanes` in flight and hands each result to `print` in item
 * order. The first failure (in item order) is thrown; nothing after it is printed.
 */
export async function runInLanes<T>(
  count: number,
  lanes: number,
  run: (index: number) => Promise<T>,
  print: (result: T) => void,
): Promise<void> {
  const inFlight: Promise<T>[] = [];
  for (let i = 0; i < count; i++) {
    const started = run(i);
    // A later item's failure is only reported if every earlier one succeeded.
    started.catch(() => undefined);
    inFlight.push(started);
    if (inFlight.length >= Math.max(1, lanes)) print(await inFlight.shift()!);
  }
  while (inFlight.length > 0) print(await inFlight.shift()!);
}
