import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentsService, type AgentProfile } from '@cc/agents';
import { AccessGuard, RealtimeService, Roles, uuidParam } from '@cc/platform';
import { QueuesService } from '@cc/routing';
import { CreateAgentDto, UpdateAgentDto } from './admin.dto';

type AgentWithQueues = AgentProfile & { queueIds: string[] };

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@UseGuards(AccessGuard)
@Controller('admin/agents')
export class AdminAgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly queues: QueuesService,
    private readonly realtime: RealtimeService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  @Get()
  async list(): Promise<AgentWithQueues[]> {
    const agents = await this.agents.list();
    return Promise.all(agents.map((a) => this.withQueues(a)));
  }

  @Get(':id')
  async get(@Param('id', uuidParam()) id: string): Promise<AgentWithQueues> {
    return this.withQueues(await this.agents.get(id));
  }

  @Post()
  async create(@Body() body: CreateAgentDto): Promise<AgentWithQueues> {
    const { queueIds, ...agent } = body;
    // checked first, so a bad queue id stores nothing
    if (queueIds) await this.queues.assertQueuesExist(this.db, queueIds);
    const created = await this.agents.create(agent);
    if (queueIds) await this.queues.setAgentQueues(created.id, queueIds);
    return this.withQueues(created);
  }

  @Patch(':id')
  async update(@Param('id', uuidParam()) id: string, @Body() body: UpdateAgentDto): Promise<AgentWithQueues> {
    const { queueIds, ...change } = body;
    if (queueIds) await this.queues.assertQueuesExist(this.db, queueIds);
    const updated = await this.agents.update(id, change);
    if (queueIds) await this.queues.setAgentQueues(id, queueIds);
    return this.withQueues(updated);
  }

  /** Deactivates an agent: they can no longer sign in or receive offers; their history stays. */
  @Delete(':id')
  @HttpCode(200)
  async deactivate(@Param('id', uuidParam()) id: string): Promise<AgentWithQueues> {
    const agent = await this.agents.update(id, { active: false });
    await this.realtime.disconnectAgent(id);
    return this.withQueues(agent);
  }

  private async withQueues(agent: AgentProfile): Promise<AgentWithQueues> {
    return { ...agent, queueIds: await this.queues.queueIdsOfAgent(agent.id) };
  }
}
