import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { IANAZone } from 'luxon';
import type { ResolvedConfig } from '@cc/config';
import { AccessGuard, InjectConfig, Roles } from '@cc/platform';
import { DomainError, ErrorCode, type LiveSnapshot } from '@cc/shared';
import {
  type AgentPerformanceRow,
  type ContactReportRow,
  contactMetrics,
  LiveStatsService,
  type ReportGrouping,
  type ReportRange,
  ReportsService,
} from '@cc/supervision';
import { toCsv } from './csv';
import { ReportQueryDto } from './supervision.dto';

@ApiTags('supervision')
@ApiBearerAuth()
@Roles('supervisor', 'admin')
@UseGuards(AccessGuard)
@Controller()
export class SupervisionController {
  constructor(
    private readonly live: LiveStatsService,
    private readonly reports: ReportsService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  /** The same figures the /supervisors socket pushes, for dashboards that poll. */
  @Get('supervision/live')
  snapshot(): Promise<LiveSnapshot> {
    return this.live.snapshot();
  }

  /** Contact metrics per queue and interval (definitions in the README). `format=csv` for a spreadsheet. */
  @Get('reports/queues')
  byQueue(@Query() q: ReportQueryDto, @Res() res: Response): Promise<void> {
    return this.contactReport('queue', q, res);
  }

  @Get('reports/agents')
  byAgent(@Query() q: ReportQueryDto, @Res() res: Response): Promise<void> {
    return this.contactReport('agent', q, res);
  }

  @Get('reports/channels')
  byChannel(@Query() q: ReportQueryDto, @Res() res: Response): Promise<void> {
    return this.contactReport('channel', q, res);
  }

  /** Time in each state, handling and wrap-up time, occupancy and utilisation, from the agent state log. */
  @Get('reports/agent-performance')
  async agentPerformance(@Query() q: ReportQueryDto, @Res() res: Response): Promise<void> {
    send(res, q.format, await this.reports.agentPerformance(this.range(q)), AGENT_PERFORMANCE_SHAPE, 'agent-performance');
  }

  private async contactReport(groupBy: ReportGrouping, q: ReportQueryDto, res: Response): Promise<void> {
    send(res, q.format, await this.reports.contacts(this.range(q), groupBy, q.fcrWindowHours ?? 24), CONTACT_REPORT_SHAPE, `${groupBy}-report`);
  }

  private range(q: ReportQueryDto): ReportRange {
    const from = new Date(q.from);
    const to = new Date(q.to);
    if (!(from < to)) throw new DomainError(ErrorCode.ValidationFailed, 'from must be before to');
    const timeZone = q.timeZone ?? this.config.defaultTimeZone;
    if (!IANAZone.isValidZone(timeZone)) throw new DomainError(ErrorCode.ValidationFailed, `timeZone: "${timeZone}" is not an IANA time zone`);
    return { from, to, interval: q.interval ?? '1h', timeZone };
  }
}

/** The columns of each report, for a CSV header even with no rows. */
const CONTACT_REPORT_SHAPE: ContactReportRow = { intervalStart: '', group: { id: '', name: '' }, ...contactMetrics([], 0) };
const AGENT_PERFORMANCE_SHAPE: AgentPerformanceRow = {
  intervalStart: '',
  agent: { id: '', name: '' },
  availableSeconds: 0,
  awaySeconds: 0,
  offlineSeconds: 0,
  handlingSeconds: 0,
  wrapUpSeconds: 0,
  handled: 0,
  occupancyPercent: null,
  utilisationPercent: null,
};

function send(res: Response, format: 'json' | 'csv' | undefined, rows: object[], shape: object, name: string): void {
  if (format === 'csv') {
    res.type('text/csv').attachment(`${name}.csv`).send(toCsv(rows, shape));
    return;
  }
  res.json(rows);
}
