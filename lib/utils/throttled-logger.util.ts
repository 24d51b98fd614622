import { Logger } from '@nestjs/common';

/**
 * A warn/error logger that writes a given message key at most once per interval and reports
 * how many were suppressed. During an outage every request fails the same way; one line a
 * second with a count is more useful than ten thousand identical lines.
 */
export class ThrottledLogger {
  private readonly lastWritten = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  /** Logs `message` at warn level unless `key` was logged within the interval. */
  warn(key: string, message: string): void {
    const now = Date.now();
    const seen = this.lastWritten.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const suffix = seen?.suppressed ? ` (${seen.suppressed} similar messages suppressed)` : '';
    this.lastWritten.set(key, { at: now, suppressed: 0 });
    // Bounded: keys are a small fixed set of event kinds, but guard against misuse anyway.
    if (this.lastWritten.size > 256) this.lastWritten.clear();
    this.logger.warn(message + suffix);
  }
}
