import { CustomerResolution } from './customer-resolution';

describe('CustomerResolution', () => {
  it('locks every address and given email once, in sorted order, and looks each up once', () => {
    const r = new CustomerResolution([
      { kind: 'webchat', value: 'v2', email: ' Ann@Example.com ' },
      { kind: 'webchat', value: 'v1' },
      { kind: 'webchat', value: 'v2' },
    ]);
    expect(r.lockKeys).toEqual(['email:ann@example.com', 'webchat:v1', 'webchat:v2']);
    expect(r.lookup).toEqual({ kinds: ['webchat', 'email', 'webchat'], values: ['v2', 'ann@example.com', 'v1'] });
  });

  it('creates one customer per unknown address, with its identity, even when the batch names it twice', () => {
    const { customerIds, writes } = new CustomerResolution([
      { kind: 'phone', value: '+14155550100', name: ' Bo ' },
      { kind: 'phone', value: '+14155550100' },
    ]).decide([]);
    expect(customerIds[0]).toBe(customerIds[1]);
    expect(writes.newCustomers).toEqual([{ id: customerIds[0], name: 'Bo', email: null, phone: '+14155550100' }]);
    expect(writes.newIdentities).toEqual([{ customerId: customerIds[0], kind: 'phone', value: '+14155550100' }]);
    expect(writes.profileUpdates.size).toBe(0);
  });

  it('gives a new browser whose visitor names a known email to that email’s customer, and links the browser to them', () => {
    const { customerIds, writes } = new CustomerResolution([{ kind: 'webchat', value: 'new-browser', email: 'ANN@example.com', name: 'Ann' }]).decide([
      { kind: 'email', value: 'ann@example.com', customer_id: 'ann' },
    ]);
    expect(customerIds).toEqual(['ann']);
    expect(writes.newCustomers).toEqual([]);
    expect(writes.newIdentities).toEqual([{ customerId: 'ann', kind: 'webchat', value: 'new-browser' }]);
    expect([...writes.profileUpdates]).toEqual([['ann', { name: 'Ann', email: 'ann@example.com' }]]);
  });

  it('links a new email to the known customer of the address, and writes nothing for a known address alone', () => {
    const known = [{ kind: 'webchat', value: 'b1', customer_id: 'cu1' }];
    const withEmail = new CustomerResolution([{ kind: 'webchat', value: 'b1', email: 'x@example.com' }]).decide(known);
    expect(withEmail.customerIds).toEqual(['cu1']);
    expect(withEmail.writes.newIdentities).toEqual([{ customerId: 'cu1', kind: 'email', value: 'x@example.com' }]);

    const alone = new CustomerResolution([{ kind: 'webchat', value: 'b1' }]).decide(known);
    expect(alone.customerIds).toEqual(['cu1']);
    expect(alone.writes).toEqual({ newCustomers: [], newIdentities: [], profileUpdates: new Map() });
  });

  it('keeps an email address as the new customer’s email and as its identity when it arrives by email', () => {
    const { customerIds, writes } = new CustomerResolution([{ kind: 'email', value: 'c@example.com' }]).decide([]);
    expect(writes.newCustomers).toEqual([{ id: customerIds[0], name: null, email: 'c@example.com', phone: null }]);
    expect(writes.newIdentities).toEqual([{ customerId: customerIds[0], kind: 'email', value: 'c@example.com' }]);
  });
});
