import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AccessGuard, Roles, uuidParam } from '@cc/platform';
import { QueuesService, type QueueView } from '@cc/routing';
import { CreateQueueDto, UpdateQueueDto } from './admin.dto';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@UseGuards(AccessGuard)
@Controller('admin/queues')
export class AdminQueuesController {
  constructor(private readonly queues: QueuesService) {}

  @Get()
  list(): Promise<QueueView[]> {
    return this.queues.list();
  }

  @Get(':id')
  get(@Param('id', uuidParam()) id: string): Promise<QueueView> {
    return this.queues.get(id);
  }

  @Post()
  create(@Body() body: CreateQueueDto): Promise<QueueView> {
    return this.queues.create(body);
  }

  @Patch(':id')
  update(@Param('id', uuidParam()) id: string, @Body() body: UpdateQueueDto): Promise<QueueView> {
    return this.queues.update(id, body);
  }

  /** Deactivates a queue: it takes no new contacts; those already waiting are still served. */
  @Delete(':id')
  @HttpCode(200)
  deactivate(@Param('id', uuidParam()) id: string): Promise<QueueView> {
    return this.queues.update(id, { active: false });
  }
}
