/**
 * Lines a batch statement's rows up with the agents' commands it ran: a row answers the command of the
 * agent it was changed for that names the same contact or offer. Of two such commands (one sent twice)
 * the first gets the row and the second none, as if it had come second; another agent's command naming
 * the same contact or offer never gets it, whichever came first.
 */
export function answersByAgent<I extends { agentId: string }, R>(
  items: I[],
  keyOf: (i: I) => string,
  rows: R[],
  rowAgent: (r: R) => string,
  rowKey: (r: R) => string,
): (R | undefined)[] {
  const key = (agentId: string, id: string) => `${agentId} ${id}`;
  const byKey = new Map(rows.map((r) => [key(rowAgent(r), rowKey(r)), r]));
  return items.map((i) => {
    const k = key(i.agentId, keyOf(i));
    const row = byKey.get(k);
    byKey.delete(k);
    return row;
  });
}
