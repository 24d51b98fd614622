import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

/** `redis://user:secret@host:6379` → `redis://***@host:6379`; credentials never reach the log. */
function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)[^@/]*@/, '$1***@');
}

async function bootstrap(): Promise<void> {
  const logger = new Logger('Sample');
  const redisUrl = process.env.REDIS_URL;
  logger.log(redisUrl ? `Cache store: redis at ${redactUrl(redisUrl)}` : 'Cache store: memory (REDIS_URL unset)');

  const app = await NestFactory.create(AppModule);
  // SIGINT/SIGTERM run onApplicationShutdown, which drains and closes the Redis connections.
  app.enableShutdownHooks();

  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  logger.log(
    `Listening on http://localhost:${port} — try GET /books, GET /books/9780262033848 and GET /books/9780262033848/summary (each twice), then PUT /books/9780262033848 with a JSON body`,
  );
}

await bootstrap();
