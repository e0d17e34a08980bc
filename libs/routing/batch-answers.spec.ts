import { answersByAgent } from './batch-answers';

describe('answersByAgent', () => {
  const rows = [
    { id: 'c1', agent: 'ann' },
    { id: 'c2', agent: 'bob' },
  ];
  const answer = (items: { agentId: string; contactId: string }[]) =>
    answersByAgent(items, (i) => i.contactId, rows, (r) => r.agent, (r) => r.id).map((r) => r?.id ?? null);

  it('gives each agent the row changed for them, in the order of the commands', () => {
    expect(answer([{ agentId: 'bob', contactId: 'c2' }, { agentId: 'ann', contactId: 'c1' }])).toEqual(['c2', 'c1']);
  });

  it('answers a command sent twice once, to the first', () => {
    expect(answer([{ agentId: 'ann', contactId: 'c1' }, { agentId: 'ann', contactId: 'c1' }])).toEqual(['c1', null]);
  });

  it('never gives another agent the row, even when their command came first', () => {
    expect(answer([{ agentId: 'bob', contactId: 'c1' }, { agentId: 'ann', contactId: 'c1' }])).toEqual([null, 'c1']);
  });

  it('answers none where the statement changed nothing', () => {
    expect(answer([{ agentId: 'ann', contactId: 'c9' }])).toEqual([null]);
  });
});
