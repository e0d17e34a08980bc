/**
 * Rows as CSV (RFC 4180): nested objects flattened into underscore-joined columns (group.name →
 * group_name), in the order of `shape`, an example row that gives the header even when there are
 * no rows (a quiet day's report still imports).
 */
export function toCsv(rows: object[], shape: object): string {
  const flat = rows.map((r) => flatten(r));
  const columns = [...new Set([...Object.keys(flatten(shape)), ...flat.flatMap((r) => Object.keys(r))])];
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...flat.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}

function flatten(value: object, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}_${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) Object.assign(out, flatten(v, key));
    else out[key] = v;
  }
  return out;
}
