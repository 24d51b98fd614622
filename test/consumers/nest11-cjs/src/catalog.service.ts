import { Injectable } from '@nestjs/common';
import { ReadThrough } from 'nestjs-readthrough';

export interface Item {
  id: string;
  name: string;
}

@Injectable()
export class CatalogService {
  /** How often the method body ran: the cache decides, so the test reads it. */
  loads = 0;

  @ReadThrough('item:{0}', '1m')
  async find(id: string): Promise<Item> {
    this.loads += 1;
    return { id, name: `item ${id}` };
  }
}
