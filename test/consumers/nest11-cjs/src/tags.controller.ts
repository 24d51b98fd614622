import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from 'nestjs-readthrough';

// The one-line migration from @UseInterceptors(CacheInterceptor): every GET route of the class.
@Controller('tags')
@UseInterceptors(ReadThroughInterceptor)
@ReadThrough({ ttl: '30s' })
export class TagsController {
  /** How often the handler ran. */
  runs = 0;

  @Get(':name')
  async findOne(@Param('name') name: string) {
    this.runs += 1;
    return { name };
  }
}
