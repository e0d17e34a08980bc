import { toCsv } from './csv';

const SHAPE = { intervalStart: '', group: { id: '', name: '' }, offered: 0, serviceLevelPercent: null };

describe('toCsv', () => {
  it('flattens nested fields into columns and quotes what needs quoting', () => {
    const csv = toCsv(
      [
        { intervalStart: '2026-11-23T09:00:00.000+00:00', group: { id: 'q1', name: 'Support, "EU"' }, offered: 3, serviceLevelPercent: null },
        { intervalStart: '2026-11-23T10:00:00.000+00:00', group: { id: 'q2', name: 'Sales' }, offered: 0, serviceLevelPercent: 50 },
      ],
      SHAPE,
    );
    expect(csv).toBe(
      'intervalStart,group_id,group_name,offered,serviceLevelPercent\r\n' +
        '2026-11-23T09:00:00.000+00:00,q1,"Support, ""EU""",3,\r\n' +
        '2026-11-23T10:00:00.000+00:00,q2,Sales,0,50\r\n',
    );
  });

  it('writes the header line for no rows', () => {
    expect(toCsv([], SHAPE)).toBe('intervalStart,group_id,group_name,offered,serviceLevelPercent\r\n');
  });
});
