// The Lua scripts the cache sends with EVAL. Each runs atomically on the server, so a check and
// the write it guards cannot be split by another client's command.

/** Releases a lock only for its owner, so a slow holder never deletes a successor's lock. */
export const COMPARE_AND_DELETE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
/** Renews a lock only for its owner, so a holder whose lock passed on never extends a successor's. */
export const COMPARE_AND_EXPIRE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";

/**
 * The first step of a fenced write (see `CacheStore.prepareWrite`): an absent key gets the
 * caller's marker, and the reply is the SHA-1 of what the key holds, to compare at write time.
 */
export const PREPARE_WRITE =
  "local v = redis.call('GET', KEYS[1]) if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) v = ARGV[1] end return redis.sha1hex(v)";
/** Writes only if the key still holds what `PREPARE_WRITE` hashed: an eviction or newer write since wins. */
export const SET_IF_UNCHANGED =
  "local v = redis.call('GET', KEYS[1]) if v and redis.sha1hex(v) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0";
