/**
 * Compile-time contract of @ReadThrough, checked by `npm run typecheck` (part of `npm test`):
 * every `@ts-expect-error` below must be an error, or the type check fails.
 */
import { Injectable } from '@nestjs/common';
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

  // Templates and an omitted key accept any async method.
  @ReadThrough()
  async anything(a: number, b: { id: string }): Promise<number> {
    return a + b.id.length;
  }
}

export const durations: Duration[] = [250, '250ms', '30s', '5m', '1h', '1d', seconds(2)];

// @ts-expect-error 'weeks' is not a duration unit
export const badDuration: Duration = '2w';

export const module = RedisCacheModule.forRoot({ store: 'memory', ttl: '5m', isGlobal: true });

// @ts-expect-error unknown store kind
export const badStore = RedisCacheModule.forRoot({ store: 'mongo' });
