// A WAL stream from one publication: pgoutput over a TEMPORARY logical slot, so the slot
// disappears with its connection (stand-in stopped or crashed) and never holds WAL back for a
// process that is gone. Changes arrive as they commit (no polling); each transaction is handed on
// at its commit, in commit order. A broken connection (database restart) is retried with backoff;
// changes committed while the stream is down are not delivered, as with a new slot on Supabase.
// Two run side by side, as on Supabase: postgres_changes (publication supabase_realtime) and
// Broadcast from the database (realtime.messages).
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

export interface StreamOptions {
  publication: string;
  /** Slot names start with this; the rest is unique per process and connection. */
  slotPrefix: string;
  /** application_name of the walsender, as pg_stat_replication shows it. */
  applicationName: string;
  /** Runs before each connection starts streaming (e.g. to make sure the publication exists). */
  prepare?: () => Promise<void>;
}

const POSTGRES_CHANGES_STREAM: StreamOptions = {
  publication: PUBLICATION,
  slotPrefix: 'wacrm_realtime',
  applicationName: 'wacrm_realtime_replication',
};

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
  private suspended = false;
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
    private readonly options: StreamOptions = POSTGRES_CHANGES_STREAM,
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
    await this.disconnect();
  }

  /**
   * Takes the stream down (its slot goes with its connection) until resume(): what commits in
   * between is never streamed, as when Supabase's replication connection is down.
   */
  async suspend(): Promise<void> {
    this.suspended = true;
    await this.disconnect();
  }

  /** Brings a suspended stream back; resolves once it is live again. */
  async resume(): Promise<void> {
    if (!this.suspended || this.stopped) return this.whenLive();
    this.suspended = false;
    this.connect();
    await this.whenLive();
  }

  private async disconnect(): Promise<void> {
    clearTimeout(this.retryTimer);
    const service = this.service;
    this.service = undefined;
    this.live = false;
    this.transaction = undefined;
    if (service) {
      // Ending the connection ends the session, and with it the temporary slot.
      await Promise.race([service.destroy(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    }
  }

  private connect(): void {
    if (this.stopped || this.suspended) return;
    this.slotName = `${this.options.slotPrefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
    const service = new LogicalReplicationService(
      { connectionString: this.databaseUrl, application_name: this.options.applicationName },
      // Acknowledging what we received lets the server recycle WAL; after a crash the slot is gone
      // anyway, so there is nothing to replay and no reason to hold WAL until delivery.
      { acknowledge: { auto: true, timeoutSeconds: 10 } },
    );
    this.service = service;
    service.on('data', (_lsn: string, message: Pgoutput.Message) => {
      if (service === this.service) this.onMessage(message);
    });
    service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
      // acknowledge() reports lsn + 1 (right for a record's start, one past a keepalive's end of
      // WAL). A shutting-down server waits for a reply EQUAL to what it sent, else for
      // wal_sender_timeout (60 s): answer with the keepalive's position exactly.
      if (shouldRespond) void service.acknowledge(previousLsn(lsn)).catch(() => undefined);
    });
    service.on('error', () => undefined); // the subscribe() promise below reports the failure once
    service.on('start', () => {
      if (service !== this.service) return;
      const resumed = this.wasLive;
      if (resumed) this.log(`replication stream is back (new slot ${this.slotName})`);
      this.failures = 0;
      this.live = true;
      this.wasLive = true;
      for (const resolve of this.liveWaiters.splice(0)) resolve();
      if (resumed) this.onResumed();
    });
    const plugin = new TemporarySlotPgoutput({ protoVersion: 1, publicationNames: [this.options.publication] });
    const slotName = this.slotName;
    Promise.resolve(this.options.prepare?.())
      .then(() => (service === this.service ? service.subscribe(plugin, slotName) : undefined))
      .then(
        () => this.lost(service, new Error('the replication stream ended')),
        (error: unknown) => this.lost(service, error),
      );
  }

  private lost(service: LogicalReplicationService, error: unknown): void {
    if (this.stopped || this.suspended || service !== this.service) return;
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
