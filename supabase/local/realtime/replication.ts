// The WAL stream behind postgres_changes: pgoutput over a TEMPORARY logical slot, so the slot
// disappears with its connection (stand-in stopped or crashed) and never holds WAL back for a
// process that is gone. Changes arrive as they commit (no polling); each transaction is handed on
// at its commit, in commit order. A broken connection (database restart) is retried with backoff;
// changes committed while the stream is down are not delivered, as with a new slot on Supabase.
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { decodeChange, type DecodedTransaction } from './changes.js';
import { PUBLICATION } from './validation.js';

export type Log = (message: string) => void;

/** pgoutput with a temporary slot made on the replication connection itself, and raw text values. */
class TemporarySlotPgoutput extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    // The plugin runs node-postgres' type parsers over each value (timestamps become Dates, losing
    // microseconds and the server's formatting). Realtime sends what Postgres renders, so keep the
    // text; the parser stored on the cached relation is the one tuples are read with.
    if (message.tag === 'relation') for (const column of message.columns) column.parser = (raw: unknown) => raw;
    return message;
  }

  override async start(client: Client, slotName: string): Promise<unknown> {
    // A temporary slot can only be used by the session that created it: create it here, on the
    // replication connection, before streaming from its consistent point.
    await client.query(`CREATE_REPLICATION_SLOT ${slotName} TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')`);
    return super.start(client, slotName, '0/0');
  }
}

function previousLsn(lsn: string): string {
  const [high = '0', low = '0'] = lsn.split('/');
  const value = ((BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`)) - 1n;
  if (value < 0n) return lsn;
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

const BACKOFF_MS = [250, 500, 1000, 2000, 5000];

export class ReplicationStream {
  /**
   * Unique per stand-in and per connection: stand-ins sharing a server never collide, and a
   * reconnect never waits for the previous session (and its slot) to be gone.
   */
  slotName = '';
  private service: LogicalReplicationService | undefined;
  private live = false;
  private wasLive = false;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private liveWaiters: (() => void)[] = [];
  private transaction: DecodedTransaction | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly onTransaction: (transaction: DecodedTransaction) => void,
    private readonly log: Log,
    /** Called each time the stream comes back after a loss (not on the first start). */
    private readonly onResumed: () => void = () => undefined,
  ) {}

  get isLive(): boolean {
    return this.live;
  }

  /** Starts streaming; resolves once live, or after `timeoutMs` while it keeps retrying. */
  async start(timeoutMs = 15_000): Promise<void> {
    this.connect();
    await Promise.race([this.whenLive(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  /** Resolves when changes committed from now on will be delivered. */
  whenLive(): Promise<void> {
    if (this.live) return Promise.resolve();
    return new Promise((resolve) => this.liveWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const service = this.service;
    this.service = undefined;
    this.live = false;
    if (service) {
      // Ending the connection ends the session, and with it the temporary slot.
      await Promise.race([service.destroy(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    }
  }

  private connect(): void {
    if (this.stopped) return;
    this.slotName = `wacrm_realtime_${process.pid}_${randomBytes(4).toString('hex')}`;
    const service = new LogicalReplicationService(
      { connectionString: this.databaseUrl, application_name: 'wacrm_realtime_replication' },
      // Acknowledging what we received lets the server recycle WAL; after a crash the slot is gone
      // anyway, so there is nothing to replay and no reason to hold WAL until delivery.
      { acknowledge: { auto: true, timeoutSeconds: 10 } },
    );
    this.service = service;
    service.on('data', (_lsn: string, message: Pgoutput.Message) => this.onMessage(message));
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
      // acknowledge() reports lsn + 1 (right for a record's start, one past a keepalive's end of
      // WAL). A shutting-down server waits for a reply EQUAL to what it sent, else for
      // wal_sender_timeout (60 s): answer with the keepalive's position exactly.
      if (shouldRespond) void service.acknowledge(previousLsn(lsn)).catch(() => undefined);
    });
    service.on('error', () => undefined); // the subscribe() promise below reports the failure once
    service.on('start', () => {
      const resumed = this.wasLive;
      if (resumed) this.log(`replication stream is back (new slot ${this.slotName})`);
      this.failures = 0;
      this.live = true;
      this.wasLive = true;
      for (const resolve of this.liveWaiters.splice(0)) resolve();
      if (resumed) this.onResumed();
    });
    const plugin = new TemporarySlotPgoutput({ protoVersion: 1, publicationNames: [PUBLICATION] });
    service.subscribe(plugin, this.slotName).then(
      () => this.lost(service, new Error('the replication stream ended')),
      (error: unknown) => this.lost(service, error),
    );
  }

  private lost(service: LogicalReplicationService, error: unknown): void {
    if (this.stopped || service !== this.service) return;
    this.live = false;
    this.transaction = undefined;
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
    if (this.failures === 0) {
      this.log(`replication stream lost (${error instanceof Error ? error.message : String(error)}); reconnecting`);
    }
    this.failures++;
    void service.destroy().catch(() => undefined);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.retryTimer.unref();
  }

  private onMessage(message: Pgoutput.Message): void {
    switch (message.tag) {
      case 'begin':
        this.transaction = { commitTime: message.commitTime as bigint, changes: [] };
        return;
      case 'commit': {
        const transaction = this.transaction;
        this.transaction = undefined;
        if (transaction && transaction.changes.length > 0) {
          transaction.commitTime = message.commitTime as bigint;
          this.onTransaction(transaction);
        }
        return;
      }
      default: {
        const change = decodeChange(message);
        if (change) this.transaction?.changes.push(change);
      }
    }
  }
}
