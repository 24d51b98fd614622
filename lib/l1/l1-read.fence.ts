/** Invalidated keys remembered while reads are in flight, at most. */
const MAX_DIRTY_KEYS = 10_000;

/**
 * Closes the race between a Redis read and an invalidation push of the same key: the reply can
 * already be on the wire with the push right behind it. Each read takes a sequence number
 * first; a fill is refused if its key, a tag key it carries, or everything changed after that
 * number. Changes are remembered only while reads are in flight, and only up to a bound.
 */
export class L1ReadFence {
  private seq = 0;
  private flushedAt = 0;
  /** Reads in flight per key. */
  private readonly reading = new Map<string, number>();
  /** The sequence of the last change of each key (an entry's, or a tag key) while reads were in flight. */
  private readonly dirty = new Map<string, number>();

  /** Call before reading `key` from Redis; the number goes to {@link mayFill}, then call {@link end}. */
  begin(key: string): number {
    this.reading.set(key, (this.reading.get(key) ?? 0) + 1);
    return this.seq;
  }

  /** Ends a read started with {@link begin}. */
  end(key: string): void {
    const left = (this.reading.get(key) ?? 1) - 1;
    if (left > 0) this.reading.set(key, left);
    else {
      this.reading.delete(key);
      this.dirty.delete(key);
      if (this.reading.size === 0) this.dirty.clear();
    }
  }

  /** `key` changed: no read in flight may fill it, nor an entry that carries it as a tag. */
  changed(key: string): void {
    this.seq++;
    // Remembered for every read in flight: it may be of an entry carrying this key as a tag.
    if (this.reading.size === 0) return;
    // Bounded under reads that never stop: past the bound, refuse every fill begun until now.
    if (this.dirty.size >= MAX_DIRTY_KEYS) this.changedAll();
    else this.dirty.set(key, this.seq);
  }

  /** Everything changed (a flush): no read begun before now may fill. */
  changedAll(): void {
    this.seq++;
    this.flushedAt = this.seq;
    this.dirty.clear();
  }

  /** Whether a read of `key` begun at `readSeq` may fill it, with an entry watched under `tagKeys`. */
  mayFill(key: string, readSeq: number, tagKeys: readonly string[] | undefined): boolean {
    if (readSeq < this.flushedAt || this.changedSince(key, readSeq)) return false;
    if (tagKeys) for (const tag of tagKeys) if (this.changedSince(tag, readSeq)) return false;
    return true;
  }

  private changedSince(key: string, readSeq: number): boolean {
    return (this.dirty.get(key) ?? -1) >= readSeq;
  }
}
