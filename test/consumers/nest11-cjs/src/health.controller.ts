import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { RedisCacheHealthIndicator } from 'nestjs-readthrough/terminus';

// The README's health endpoint, on terminus 11: the subpath's CommonJS build in a Nest 11 app.
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cache: RedisCacheHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.cache.isHealthy('redis-cache', { timeout: '500ms' })]);
  }
}
