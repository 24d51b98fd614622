// Boots the app on Express, then on Fastify, and checks over HTTP that a cached route answers
// MISS then HIT with the same body, and that a cached service method ran once. Exits non-zero
// on the first failed check.
import 'reflect-metadata';
import { strict as assert } from 'node:assert';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { BooksController } from './books.controller.js';
import { BooksService } from './books.service.js';

assert.ok(process.env.REDIS_URL, 'REDIS_URL must point at a Redis (test/consumers/run.mjs sets it)');

for (const [platform, adapter] of [
  ['express', () => new ExpressAdapter()],
  ['fastify', () => new FastifyAdapter()],
] as const) {
  process.env.PLATFORM = platform;
  const app = await NestFactory.create(AppModule, adapter(), { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  try {
    const base = await app.getUrl();
    const miss = await fetch(`${base}/books/42/summary`);
    const missBody = await miss.text();
    const hit = await fetch(`${base}/books/42/summary`);
    const hitBody = await hit.text();
    assert.equal(miss.status, 200);
    assert.equal(miss.headers.get('x-cache'), 'MISS', `${platform}: first request`);
    assert.equal(hit.headers.get('x-cache'), 'HIT', `${platform}: second request`);
    assert.equal(hitBody, missBody, `${platform}: a hit sends the miss's body`);
    assert.equal(app.get(BooksController).runs, 1, `${platform}: the handler ran once`);

    const service = app.get(BooksService);
    await service.find('42');
    assert.equal(service.loads, 1, `${platform}: the service method ran once (the route's miss loaded it)`);
    console.log(`nest12-esm ${platform}: MISS then HIT, handler and method ran once`);
  } finally {
    await app.close();
  }
}
