import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { ReadThrough } from '../../lib/index.js';

/** What {@link DerivedValueService.value} returns for an id. */
export interface DerivedValue {
  id: string;
  reversed: string;
  length: number;
}

/**
 * The only correct result for `id`: a function of the argument alone, so every value a caller
 * gets, fresh or from the cache, can be checked, and an entry served for the wrong key shows.
 */
export function derivedValue(id: string): DerivedValue {
  return { id, reversed: [...id].reverse().join(''), length: id.length };
}

/**
 * `value(id)` cached under `derived:{0}` for 1 minute, counting its runs per id: a call that
 * leaves `runsOf(id)` unchanged was served from the cache.
 */
@Injectable()
export class DerivedValueService {
  private readonly runs = new Map<string, number>();

  /** How often the method body ran for `id`. */
  runsOf(id: string): number {
    return this.runs.get(id) ?? 0;
  }

  @ReadThrough('derived:{0}', '1m')
  async value(id: string): Promise<DerivedValue> {
    this.runs.set(id, this.runsOf(id) + 1);
    return derivedValue(id);
  }
}

/** `count` distinct ids `<label>-0000`, `<label>-0001`, ...: none is a substring of another. */
export function idRange(label: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${label}-${String(i).padStart(4, '0')}`);
}
