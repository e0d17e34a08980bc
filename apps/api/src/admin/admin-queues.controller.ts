import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AccessGuard, Roles } from '@cc/platform';
import { QueuesService, type QueueView, RoutingService } from '@cc/routing';
import { CreateQueueDto, UpdateQueueDto } from './admin.dto';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@UseGuards(AccessGuard)
@Controller('admin/queues')
export class AdminQueuesController {
  constructor(
    private readonly queues: QueuesService,
    private readonly routing: RoutingService,
  ) {}

  @Get()
  list(): Promise<QueueView[]> {
    return this.queues.list();
  }

  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<QueueView> {
    return this.queues.get(id);
  }

  @Post()
  create(@Body() body: CreateQueueDto): Promise<QueueView> {
    return this.queues.create(body);
  }

  @Patch(':id')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateQueueDto): Promise<QueueView> {
    const queue = await this.queues.update(id, body);
    await this.routing.requestForQueue(id, 'queue_updated');
    return queue;
  }

  /** Deactivates a queue: it takes no new contacts; those already waiting are still served. */
  @Delete(':id')
  @HttpCode(200)
  deactivate(@Param('id', ParseUUIDPipe) id: string): Promise<QueueView> {
    return this.queues.update(id, { active: false });
  }
}
