import { jest } from '@jest/globals';

// Simulates an install without the optional peer `msgpackr`: the serializer loads it through
// its CommonJS loader, so that module is replaced before the serializer module is first
// imported. This file must not import the serializer statically (the mock would come too late).
const requested: string[] = [];
jest.unstable_mockModule('../../../lib/serializers/optional-peer.loader.cjs', () => ({
  loadOptionalPeer: (id: string) => {
    requested.push(id);
    const error = new Error(`Cannot find module '${id}'`) as NodeJS.ErrnoException;
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  },
}));

const { MsgpackSerializer } = await import('../../../lib/serializers/msgpack.serializer.js');
const { SerializerUnavailableError } = await import('../../../lib/errors/serializer-unavailable.error.js');
const { RedisCacheError } = await import('../../../lib/errors/redis-cache.error.js');

describe('MsgpackSerializer without msgpackr installed', () => {
  function constructionError(): unknown {
    try {
      new MsgpackSerializer();
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it('throws SerializerUnavailableError at construction', () => {
    const error = constructionError();
    expect(error).toBeInstanceOf(SerializerUnavailableError);
    expect(error).toBeInstanceOf(RedisCacheError);
    expect(requested).toContain('msgpackr');
  });

  it('says how to fix it: npm install msgpackr', () => {
    const error = constructionError() as InstanceType<typeof SerializerUnavailableError>;
    expect(error.message).toContain('npm install msgpackr');
    expect(error.code).toBe('E_REDIS_CACHE_SERIALIZER_UNAVAILABLE');
  });

  it('keeps the loader error as cause', () => {
    const error = constructionError() as InstanceType<typeof SerializerUnavailableError>;
    expect((error.cause as NodeJS.ErrnoException).code).toBe('MODULE_NOT_FOUND');
  });
});
