/**
 * Time the emulated link owes, on a timeline rather than one timer per transfer: each cost is
 * booked after the previous booking (or now, if the link was idle), and the caller waits only when
 * its booking ends ≥ 1 ms ahead. Timers cannot sleep less than ~1 ms, so sleeping per transfer
 * turned a 1 KiB read (a few µs of bus time) into a millisecond; here small costs add up until they
 * are worth a timer, and time the host spent anyway pays the debt down; what a timer oversleeps is
 * credited to the next bookings. Total waiting then tracks the modelled cost instead of the number
 * of transfers.
 */
export class LatencyClock {
  #freeAt = 0;
  /** Time a timer overslept (ms), credited to the next bookings so the average stays on the model. */
  #credit = 0;
  /** Modelled cost booked so far (ms), for benchmarks to print next to measured time. */
  bookedMs = 0;

  /** Books `ms` of link time; resolves when the booking is (about) over. */
  async take(ms: number): Promise<void> {
    if (!(ms > 0)) return;
    this.bookedMs += ms;
    const paid = Math.min(this.#credit, ms);
    this.#credit -= paid;
    const now = performance.now();
    this.#freeAt = Math.max(this.#freeAt, now) + ms - paid;
    const wait = this.#freeAt - now;
    if (wait < 1) return;
    await new Promise<void>((resolve) => setTimeout(resolve, wait));
    const late = performance.now() - this.#freeAt;
    if (late > 0) this.#credit = Math.min(this.#credit + late, MAX_CREDIT_MS);
  }

  /** After a reset or replug the link starts idle. */
  reset(): void {
    this.#freeAt = 0;
    this.#credit = 0;
  }
}

/** Bounded, so a long stall of the host cannot buy a burst of free transfers later. */
const MAX_CREDIT_MS = 4;
