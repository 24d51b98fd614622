/**
 * A provider method that returns a class instance, behind Nest's own `ClassSerializerInterceptor`
 * (the documented way to hide an entity's `@Exclude()` fields). A cached copy would come back as
 * a plain object, which class-transformer no longer strips: the password hidden on a miss would
 * be sent on every hit. Such values are returned but never stored, on both platforms and with
 * the JSON and v8 serializers; plain data (`instanceToPlain`) is cached as usual.
 */
import 'reflect-metadata';
import { jest } from '@jest/globals';
import { ClassSerializerInterceptor, Controller, Get, Injectable, Logger, Param } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Exclude, Expose, instanceToPlain } from 'class-transformer';
import {
  ReadThrough,
  RedisCacheSerializationError,
  RedisCacheService,
  V8Serializer,
  type CacheSerializer,
} from '../../lib/index.js';
import { storedKeys } from '../helpers/redis-cli.helper.js';
import { useTestRedis } from '../helpers/test-redis.js';
import { Counter, PLATFORMS, trackHttpApps } from './fixtures/http-app.js';

const PASSWORD = 'argon2id-hash-never-sent';

class UserEntity {
  id!: string;
  name!: string;
  @Exclude() password!: string;

  constructor(fields: Pick<UserEntity, 'id' | 'name' | 'password'>) {
    Object.assign(this, fields);
  }

  /** Sent only while the value is an instance: a plain copy has no getter. */
  @Expose()
  get greeting(): string {
    return `hello ${this.name}`;
  }
}

@Injectable()
class UsersService {
  constructor(private readonly counter: Counter) {}

  @ReadThrough('user:{0}', '1m')
  async find(id: string): Promise<UserEntity> {
    this.counter.hit('find');
    return new UserEntity({ id, name: `user ${id}`, password: PASSWORD });
  }

  @ReadThrough('users', '1m')
  async list(): Promise<{ page: UserEntity[] }> {
    this.counter.hit('list');
    return { page: [new UserEntity({ id: '1', name: 'one', password: PASSWORD })] };
  }

  /** The fix the warning names: plain data, stripped before it is cached. */
  @ReadThrough('plain-user:{0}', '1m')
  async findPlain(id: string): Promise<Record<string, unknown>> {
    this.counter.hit('findPlain');
    return instanceToPlain(new UserEntity({ id, name: `user ${id}`, password: PASSWORD }));
  }
}

@Controller('users')
class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('list')
  list(): Promise<{ page: UserEntity[] }> {
    return this.users.list();
  }

  @Get(':id')
  find(@Param('id') id: string): Promise<UserEntity> {
    return this.users.find(id);
  }

  @Get(':id/plain')
  findPlain(@Param('id') id: string): Promise<Record<string, unknown>> {
    return this.users.findPlain(id);
  }
}

const redis = useTestRedis();
const SERIALIZERS: [string, () => CacheSerializer | undefined][] = [
  ['json (default)', () => undefined],
  ['v8', () => new V8Serializer()],
];

describe.each(PLATFORMS)('class instances from cached methods, %s', (platform, makeAdapter) => {
  const apps = trackHttpApps(redis);
  afterEach(() => jest.restoreAllMocks());

  describe.each(SERIALIZERS)('serializer %s', (_, serializer) => {
    const boot = () =>
      apps(platform, makeAdapter(), {
        controllers: [UsersController],
        providers: [UsersService],
        cache: { serializer: serializer() },
        beforeInit: (app) => {
          app.useGlobalInterceptors(new ClassSerializerInterceptor(app.get(Reflector)));
        },
      });

    it('never sends the @Exclude() field: the instance is not cached, every request runs the method', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const { http, counter, prefix } = await boot();
      const bodies: string[] = [];
      for (let i = 0; i < 3; i++) bodies.push((await http().get('/users/7').expect(200)).text);
      for (const body of bodies) {
        expect(body).not.toContain(PASSWORD);
        expect(JSON.parse(body)).toEqual({ id: '7', name: 'user 7', greeting: 'hello user 7' });
      }
      expect(counter.of('find')).toBe(3);
      expect(await storedKeys(redis, prefix)).toEqual([]);
      const warned = warn.mock.calls.map(([message]) => String(message)).join('\n');
      expect(warned).toMatch(/UsersService\.find: result not cached: .*an instance of UserEntity/);
      expect(warned).toMatch(/instanceToPlain/);
    });

    it('finds an instance nested in the value too', async () => {
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const { http, counter } = await boot();
      for (let i = 0; i < 2; i++) {
        const { text } = await http().get('/users/list').expect(200);
        expect(text).not.toContain(PASSWORD);
      }
      expect(counter.of('list')).toBe(2);
    });

    it('caches plain data as usual (the control: this suite can see a hit)', async () => {
      const { http, counter, prefix } = await boot();
      const first = (await http().get('/users/8/plain').expect(200)).text;
      const second = (await http().get('/users/8/plain').expect(200)).text;
      expect(second).toBe(first);
      expect(first).not.toContain(PASSWORD);
      expect(counter.of('findPlain')).toBe(1);
      expect(await storedKeys(redis, prefix)).toHaveLength(1);
    });
  });
});

describe('class instances through RedisCacheService', () => {
  const apps = trackHttpApps(redis);

  it('wrap() hands back the instance itself, uncached; set() refuses it with RedisCacheSerializationError', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { app, prefix } = await apps('express', PLATFORMS[0][1](), {});
    const cache = app.get(RedisCacheService);
    const made = new UserEntity({ id: '9', name: 'nine', password: PASSWORD });
    const wrapped = await cache.wrap('wrapped', () => made);
    expect(wrapped).toBe(made);
    expect(wrapped).toBeInstanceOf(UserEntity);
    await expect(cache.set('set', made)).rejects.toBeInstanceOf(RedisCacheSerializationError);
    expect(await storedKeys(redis, prefix)).toEqual([]);
    jest.restoreAllMocks();
  });
});
