// A sliding-window count of requests: how many went in the last `windowMs`, and when the next one may go
// without exceeding a documented budget (GloriaMundo: 60 requests a minute per key). Each provider's gate keeps one.

/** Send times of recent requests, for a provider's sliding-window budget. */
export class SlidingWindow {
  private readonly sent: number[] = [];

  record(at: number): void {
    this.sent.push(at);
  }

  /** Requests sent in (now - windowMs, now]. */
  count(now: number, windowMs: number): number {
    while (this.sent.length && this.sent[0] <= now - windowMs) this.sent.shift();
    return this.sent.length;
  }

  /** When the oldest request in the window leaves it. */
  nextFreeAt(windowMs: number): number {
    return (this.sent[0] ?? 0) + windowMs;
  }
}
