import { Module } from '@nestjs/common';
import { AgentsModule } from '@cc/agents';
import { ContactsModule } from '@cc/contacts';
import { RoutingModule } from '@cc/routing';
import { InterventionsService } from './interventions.service';
import { LiveStatsService } from './live-stats.service';
import { ReportsService } from './reports.service';
import { CalendarsService } from './calendars.service';

/** What supervisors see and do: live figures, interventions, reports, and the calendars queues keep. */
@Module({
  imports: [AgentsModule, ContactsModule, RoutingModule],
  providers: [InterventionsService, LiveStatsService, ReportsService, CalendarsService],
  exports: [InterventionsService, LiveStatsService, ReportsService, CalendarsService],
})
export class SupervisionModule {}
