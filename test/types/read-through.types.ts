/**
 * Compile-time contract of @ReadThrough, checked by `npm run typecheck` (part of `npm test`):
 * every `@ts-expect-error` below must be an error, or the type check fails.
 */
import { Controller, Get, Injectable } from '@nestjs/common';
import { ReadThrough, RedisCacheModule, seconds, type Duration } from '../../lib/index.js';

interface Profile {
  userId: string;
  lang: string;
}

@Injectable()
export class TypedService {
  // A key function is checked against the method's parameters.
  @ReadThrough((userId: string, lang: string) => `profile:${userId}:${lang}`, seconds(30))
  async profile(userId: string, lang: string): Promise<Profile> {
    return { userId, lang };
  }

  // @ts-expect-error the key function takes a number, the method a string
  @ReadThrough((id: number) => `n:${id}`, '1m')
  async byString(id: string): Promise<string> {
    return id;
  }

  // @ts-expect-error async methods only: a synchronous method cannot be read-through cached
  @ReadThrough('sync:{0}', '1m')
  sync(id: string): string {
    return id;
  }

  // @ts-expect-error '5 parsecs' is not a duration
  @ReadThrough('p:{0}', '5 parsecs')
  async parsecs(id: string): Promise<string> {
    return id;
  }

  // condition/unless are typed by the result when the generics are given (a decorator's
  // arguments are checked before TypeScript sees the method, so they cannot be inferred from it).
  @ReadThrough<[string], Profile>('c:{0}', '1m', { condition: (profile) => profile.lang !== 'xx' })
  async conditioned(userId: string): Promise<Profile> {
    return { userId, lang: 'en' };
  }

  // @ts-expect-error `nope` does not exist on Profile
  @ReadThrough<[string], Profile>('u:{0}', '1m', { unless: (profile) => profile.nope })
  async unlessTyped(userId: string): Promise<Profile> {
    return { userId, lang: 'en' };
  }

  // The options form: default key, these options.
  @ReadThrough({ ttl: '10s' })
  async defaultKeyTenSeconds(id: string): Promise<string> {
    return id;
  }

  @ReadThrough({ key: (userId: string) => `o:${userId}`, ttl: '1m', namespace: 'profiles' })
  async keyedOptions(userId: string): Promise<string> {
    return userId;
  }

  // @ts-expect-error '10 parsecs' is not a duration, in the options form too
  @ReadThrough({ ttl: '10 parsecs' })
  async badOptionsTtl(id: string): Promise<string> {
    return id;
  }

  // @ts-expect-error the options form's key function is checked against the method too
  @ReadThrough({ key: (id: number) => `n:${id}` })
  async badOptionsKey(id: string): Promise<string> {
    return id;
  }

  // A key function may ignore trailing arguments, like any TypeScript callback.
  @ReadThrough((): string => 'all', '1m')
  async ignoresArguments(id: string): Promise<string> {
    return id;
  }

  // Templates and an omitted key accept any async method.
  @ReadThrough()
  async anything(a: number, b: { id: string }): Promise<number> {
    return a + b.id.length;
  }
}

// On a controller class: every GET/HEAD route, each with its default key; options allowed.
@Controller('a')
@ReadThrough()
export class WholeController {
  @Get()
  async list(): Promise<string[]> {
    return [];
  }
}

@Controller('b')
@ReadThrough({ ttl: '30s', statuses: [200, 404] })
export class WholeControllerWithOptions {}

@Controller('c')
// @ts-expect-error a key on a class would give every route one entry: keys belong on routes
@ReadThrough('one:key')
export class KeyedController {}

export const durations: Duration[] = [250, '250ms', '30s', '5m', '1h', '1d', seconds(2)];

// @ts-expect-error 'weeks' is not a duration unit
export const badDuration: Duration = '2w';

export const module = RedisCacheModule.forRoot({ store: 'memory', ttl: '5m', isGlobal: true });

// @ts-expect-error unknown store kind
export const badStore = RedisCacheModule.forRoot({ store: 'mongo' });
