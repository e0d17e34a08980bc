/**
 * A PostgreSQL snapshot (`pg_current_snapshot()`, "xmin:xmax:xip,..."): tells whether a transaction
 * had committed when the snapshot was taken, i.e. whether its changes are in what was read.
 */
export class TxSnapshot {
  private constructor(
    private readonly xmin: bigint,
    private readonly xmax: bigint,
    private readonly inProgress: Set<bigint>,
  ) {}

  static parse(text: string): TxSnapshot {
    const [xmin, xmax, xip] = text.split(':');
    return new TxSnapshot(BigInt(xmin), BigInt(xmax), new Set((xip ?? '').split(',').filter(Boolean).map(BigInt)));
  }

  sees(xid: bigint): boolean {
    if (xid < this.xmin) return true;
    if (xid >= this.xmax) return false;
    return !this.inProgress.has(xid);
  }
}
