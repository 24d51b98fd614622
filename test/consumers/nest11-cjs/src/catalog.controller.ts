import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { ReadThrough, ReadThroughInterceptor } from 'nestjs-readthrough';

@Controller('items')
@UseInterceptors(ReadThroughInterceptor)
export class CatalogController {
  /** How often the handler ran. */
  runs = 0;

  @Get(':id')
  @ReadThrough('route:{params.id}', '1m')
  async findOne(@Param('id') id: string) {
    this.runs += 1;
    return { id, run: this.runs };
  }
}
