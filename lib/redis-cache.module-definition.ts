import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RedisCacheModuleOptions } from './interfaces/redis-cache-module-options.interface.js';

/** Extra, module-level options of `forRoot` / `forRootAsync`. */
export interface RedisCacheModuleExtras {
  /**
   * Register the module globally so every module (and `ReadThroughInterceptor` anywhere) can
   * inject its services without importing it.
   * @default false
   */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: REDIS_CACHE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RedisCacheModuleOptions>({ moduleName: 'RedisCache' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createRedisCacheOptions')
  .setExtras<RedisCacheModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
