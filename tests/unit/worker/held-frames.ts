/** Fakes for the frame-slot tests: camera frames that record their close, and an engine held by the test. */
import { expect } from 'vitest';
import { afterQueuedMessages } from '../../../src/worker/frame-slot.ts';

export class Frame {
  closed = false;
  readonly id: number;
  constructor(id: number) {
    this.id = id;
  }
  close(): void {
    this.closed = true;
  }
}

/** Waits (message turn by message turn) until `condition` holds, and fails the test if it never does. */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await afterQueuedMessages();
  expect(condition()).toBe(true);
}

/**
 * An engine whose runs end when the test says so (the oldest with `finishNext`, or by frame id with
 * `finish`), recording which frames it was given; a run answers its frame's id × 10.
 */
export function heldEngine() {
  const ran: number[] = [];
  const pending: { id: number; release: () => void }[] = [];
  const run = (frame: Frame): Promise<number> => {
    ran.push(frame.id);
    return new Promise((resolve) => pending.push({ id: frame.id, release: () => resolve(frame.id * 10) }));
  };
  const take = (index: number): void => pending.splice(index, 1)[0]!.release();
  const finishNext = async (): Promise<void> => {
    await until(() => pending.length > 0);
    take(0);
  };
  const finish = async (id: number): Promise<void> => {
    await until(() => pending.some((p) => p.id === id));
    take(pending.findIndex((p) => p.id === id));
  };
  return { ran, run, finish, finishNext };
}
