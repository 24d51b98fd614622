// nestjs-readthrough with one no-op subscriber on RedisCacheService.events$: what emitting costs
// on the hit path when somebody listens (every hit then builds and delivers one `hit` event).
// The plain `readthrough` contender, with nobody subscribed, is the other half of the comparison.
// Builds without events$ (before issue 14) report it unavailable, so the contender is skipped.
import { readThroughContender } from './nestjs-readthrough.mjs';

const contender = readThroughContender({
  id: 'readthrough-events',
  name: 'nestjs-readthrough (events$ subscribed)',
  order: 11,
  prefix: 'bench-events',
  note: 'as `readthrough`, plus `app.get(RedisCacheService).events$.subscribe(() => {})`: every hit emits one `hit` event',
  onApp(app, lib) {
    const subscription = app.get(lib.RedisCacheService).events$.subscribe(() => {});
    return () => subscription.unsubscribe();
  },
});

const available = contender.unavailable;
contender.unavailable = async () => {
  const why = await available();
  if (why) return why;
  const { libraryEntryUrl } = await import('./nestjs-readthrough.mjs');
  const { RedisCacheService } = await import(libraryEntryUrl());
  return Object.getOwnPropertyDescriptor(RedisCacheService.prototype, 'events$')
    ? null
    : 'this build has no RedisCacheService.events$';
};

export default contender;
