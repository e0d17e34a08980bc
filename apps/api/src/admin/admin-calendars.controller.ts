import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AccessGuard, Roles, uuidParam } from '@cc/platform';
import { type CalendarView, CalendarsService } from '@cc/supervision';
import { CreateCalendarDto, UpdateCalendarDto } from '../supervision/supervision.dto';

/** Business-hours calendars; a queue refers to one with `calendarId`. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@UseGuards(AccessGuard)
@Controller('admin/calendars')
export class AdminCalendarsController {
  constructor(private readonly calendars: CalendarsService) {}

  @Get()
  list(): Promise<CalendarView[]> {
    return this.calendars.list();
  }

  @Get(':id')
  get(@Param('id', uuidParam()) id: string): Promise<CalendarView> {
    return this.calendars.get(id);
  }

  @Post()
  create(@Body() body: CreateCalendarDto): Promise<CalendarView> {
    return this.calendars.create(body.name, body.definition);
  }

  @Patch(':id')
  update(@Param('id', uuidParam()) id: string, @Body() body: UpdateCalendarDto): Promise<CalendarView> {
    return this.calendars.update(id, body);
  }

  /** Only a calendar no queue uses. */
  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', uuidParam()) id: string): Promise<void> {
    return this.calendars.remove(id);
  }
}
