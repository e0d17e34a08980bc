import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './user.entity';
import { Agent } from './agent.entity';
import { AgentCapacity } from './agent-capacity.entity';
import { AgentsService } from './agents.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, Agent, AgentCapacity])],
  providers: [AgentsService],
  exports: [AgentsService],
})
export class AgentsModule {}
