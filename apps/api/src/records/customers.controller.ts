import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type Customer, CustomersService } from '@cc/customers';
import { ContactsQueryService, type ContactDetail, type Page } from '@cc/contacts';
import { AccessGuard, CurrentPrincipal, Roles, type Principal, uuidParam } from '@cc/platform';
import { AddIdentityDto, FindCustomersQuery, PageQuery, UpdateCustomerDto } from './records.dto';

@ApiTags('customers')
@ApiBearerAuth()
@UseGuards(AccessGuard)
@Controller('customers')
export class CustomersController {
  constructor(
    private readonly customers: CustomersService,
    private readonly contacts: ContactsQueryService,
  ) {}

  @Get()
  @Roles('supervisor', 'admin')
  find(@Query() query: FindCustomersQuery): Promise<Customer[]> {
    return this.customers.findByEmail(query.email);
  }

  @Get(':id')
  async get(@Param('id', uuidParam()) id: string, @CurrentPrincipal() who: Principal) {
    await this.contacts.assertMayReadCustomer(who, id);
    return this.customers.get(id);
  }

  /** Every contact of the customer, newest first, with its messages and state changes. */
  @Get(':id/timeline')
  timeline(@Param('id', uuidParam()) id: string, @Query() page: PageQuery, @CurrentPrincipal() who: Principal): Promise<Page<ContactDetail>> {
    return this.contacts.timeline(id, page.page, page.pageSize, who);
  }

  /** What we know of the customer: name, tier, preferences, notes. */
  @Patch(':id')
  async update(@Param('id', uuidParam()) id: string, @Body() body: UpdateCustomerDto, @CurrentPrincipal() who: Principal): Promise<Customer> {
    await this.contacts.assertMayReadCustomer(who, id);
    return this.customers.update(id, body);
  }

  /** Links another address (an email, a phone number) to the customer. */
  @Post(':id/identities')
  @HttpCode(204)
  async addIdentity(@Param('id', uuidParam()) id: string, @Body() body: AddIdentityDto, @CurrentPrincipal() who: Principal): Promise<void> {
    await this.contacts.assertMayReadCustomer(who, id);
    await this.customers.addIdentity(id, body.kind, body.value);
  }
}
