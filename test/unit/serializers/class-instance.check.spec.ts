import { runInNewContext } from 'node:vm';
import { deserialize, serialize } from 'node:v8';
import { JsonSerializer } from '../../../lib/serializers/json.serializer.js';
import { V8Serializer } from '../../../lib/serializers/v8.serializer.js';
import { classInstanceName, findClassInstance } from '../../../lib/serializers/class-instance.check.js';

/** Which values count as class instances (refused: a hit would hand back a plain object). */
describe('class instance check', () => {
  class Secretive {
    secret = 'pw';
  }

  it("accepts another realm's plain data and built-ins (node:vm, v8.deserialize, structuredClone: Jest's sandbox is such a realm)", () => {
    const foreign = runInNewContext(
      '({ list: [1, { a: [2] }], at: new Date(0), map: new Map([["k", [3]]]), err: new TypeError("x") })',
    );
    expect(findClassInstance(foreign)).toBeUndefined();
    expect(findClassInstance(deserialize(serialize({ a: [1], m: new Map([[1, { b: 2 }]]) })))).toBeUndefined();
    expect(findClassInstance(structuredClone({ a: [1, { b: [2] }] }))).toBeUndefined();
    const json = new JsonSerializer();
    expect(json.deserializeText(json.serialize({ rows: runInNewContext('[{ id: 1 }]') }))).toEqual({
      rows: [{ id: 1 }],
    });
  });

  it("refuses another realm's class instances and subclasses of built-ins", () => {
    expect(classInstanceName(runInNewContext('new (class Row { constructor() { this.id = 1 } })()'))).toBe('Row');
    expect(findClassInstance({ list: runInNewContext('new (class Page extends Array {})()') })).toBe('Page');
    expect(findClassInstance([new (class Registry extends Map {})()])).toBe('Registry');
    expect(findClassInstance({ e: new (class HttpProblem extends Error {})('x') })).toBe('HttpProblem');
  });

  it("finds an instance in an error's cause and in an AggregateError's errors, which v8 keeps", () => {
    const v8 = new V8Serializer();
    expect(() => v8.serialize({ e: new Error('x', { cause: new Secretive() }) })).toThrow('an instance of Secretive');
    expect(() => v8.serialize(new AggregateError([new Secretive()]))).toThrow('an instance of Secretive');
  });

  it('refuses an object inheriting data from a prototype of its own (the data would not come back)', () => {
    const base = Object.assign(Object.create(null) as object, { role: 'admin' });
    expect(classInstanceName(Object.create(base) as object)).toBe('an object with a prototype of its own');
    expect(classInstanceName(Object.create({ role: 'admin' }) as object)).toBe('an object with a prototype of its own');
    expect(classInstanceName(Object.create(null) as object)).toBeUndefined();
  });

  it('finds an instance after a million numbers in an array', () => {
    const big = { a: Array.from({ length: 1_000_000 }, (_, i) => i), last: [new Secretive()] };
    expect(findClassInstance(big)).toBe('Secretive');
  });
});
