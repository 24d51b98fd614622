import { Test, TestingModule } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { App } from 'supertest/types';
import { RedisCacheService } from 'nestjs-readthrough';
import { AppModule } from './../src/app.module';
import { CatalogController } from './../src/catalog.controller';
import { CatalogService } from './../src/catalog.service';
import { TagsController } from './../src/tags.controller';

describe('nestjs-readthrough in a Nest 11 CommonJS app (e2e)', () => {
  let app: INestApplication<App>;

  beforeEach(async () => {
    const moduleFixture: TestingModule = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();

    app = moduleFixture.createNestApplication();
    await app.init();
  });

  afterEach(async () => {
    await app.close();
  });

  it('caches a service method: the second call is a hit and the method ran once', async () => {
    const service = app.get(CatalogService);
    const first = await service.find('1');
    const second = await service.find('1');
    expect(second).toEqual(first);
    expect(service.loads).toBe(1);
    expect(await app.get(RedisCacheService).has('item:1')).toBe(true);
  });

  it('caches a route: MISS, then HIT with the same body, the handler ran once', async () => {
    const server = app.getHttpServer();
    const miss = await request(server).get('/items/7').expect(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    const hit = await request(server).get('/items/7').expect(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.text).toBe(miss.text);
    expect(app.get(CatalogController).runs).toBe(1);
  });

  it('caches every GET route of a controller decorated with @ReadThrough({ ttl })', async () => {
    const server = app.getHttpServer();
    expect((await request(server).get('/tags/nest').expect(200)).headers['x-cache']).toBe('MISS');
    expect((await request(server).get('/tags/nest').expect(200)).headers['x-cache']).toBe('HIT');
    expect(app.get(TagsController).runs).toBe(1);
  });

  it('reports the cache on GET /health (nestjs-readthrough/terminus): up, with the store in use', async () => {
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    const store = process.env.REDIS_URL ? 'redis' : 'memory';
    expect(response.body.details['redis-cache']).toMatchObject({ status: 'up', store });
    if (store === 'redis') expect(typeof response.body.details['redis-cache'].latencyMs).toBe('number');
  });
});
