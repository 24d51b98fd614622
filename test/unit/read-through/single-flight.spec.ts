import { setImmediate as nextTurn } from 'node:timers/promises';
import { SingleFlight } from '../../../lib/read-through/single-flight.js';

describe('SingleFlight', () => {
  it('runs work once for concurrent callers of one key, and shares its result and its error', async () => {
    const flights = new SingleFlight();
    let runs = 0;
    const work = async (): Promise<number> => {
      runs++;
      await nextTurn();
      return 42;
    };
    const results = await Promise.all([1, 2, 3].map(() => flights.run('k', flights.ticket(), work)));
    expect(results).toEqual([42, 42, 42]);
    expect(runs).toBe(1);
    const failure = new Error('boom');
    const failing = async (): Promise<never> => {
      runs++;
      await nextTurn();
      throw failure;
    };
    const errors = await Promise.all(
      [1, 2].map(() => flights.run('e', flights.ticket(), failing).catch((e: unknown) => e)),
    );
    expect(errors).toEqual([failure, failure]);
    expect(runs).toBe(2);
  });

  it('keeps keys apart', async () => {
    const flights = new SingleFlight();
    const [a, b] = await Promise.all([
      flights.run('a', flights.ticket(), async () => 'A'),
      flights.run('b', flights.ticket(), async () => 'B'),
    ]);
    expect([a, b]).toEqual(['A', 'B']);
  });

  it('keeps kinds of caller apart on one key: a route load is never joined by a method call, nor seen as its running refresh', async () => {
    const flights = new SingleFlight();
    const route = (): unknown => undefined;
    let release!: () => void;
    const routeWork = flights.run(
      'k',
      flights.ticket(),
      () => new Promise<string>((r) => (release = () => r('response'))),
      route,
    );
    expect(flights.running('k')).toBeUndefined();
    expect(flights.running('k', route)).toBe(routeWork);
    const methodCall = flights.run('k', flights.ticket(), async () => 'value');
    const sameRoute = flights.run('k', flights.ticket(), async () => 'second response', route);
    release();
    expect(await Promise.all([routeWork, methodCall, sameRoute])).toEqual(['response', 'value', 'second response']);
  });

  it('lets a caller whose ticket predates the completion join, and never a later one', async () => {
    const flights = new SingleFlight();
    const early = flights.ticket();
    let runs = 0;
    await flights.run('k', flights.ticket(), async () => ++runs);
    // Completed, still in the map until the next turn: the early ticket joins, a new one runs again.
    expect(await flights.run('k', early, async () => ++runs)).toBe(1);
    expect(await flights.run('k', flights.ticket(), async () => ++runs)).toBe(2);
    expect(runs).toBe(2);
  });

  it('drops completed work on the next turn of the event loop', async () => {
    const flights = new SingleFlight();
    await flights.run('k', flights.ticket(), async () => 1);
    expect(flights.has('k')).toBe(true);
    await nextTurn();
    await nextTurn();
    expect(flights.has('k')).toBe(false);
    expect(flights.size).toBe(0);
  });

  it('stays bounded in a tight awaited loop that gives the event loop no turn', async () => {
    const flights = new SingleFlight();
    for (let i = 0; i < 5_000; i++) await flights.run(`k${i}`, flights.ticket(), async () => i);
    expect(flights.size).toBeLessThanOrEqual(1_024);
  });
});
