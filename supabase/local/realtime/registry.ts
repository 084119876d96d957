// Live postgres_changes subscriptions, indexed by the tables they cover, so a change only looks at
// the subscribers of its own table.
import type { SubscriptionParams } from './filters.js';

/** What a subscription needs from the channel it belongs to; read at each change, so a token swap applies at once. */
export interface ChannelSink {
  readonly topic: string;
  /** The subscriber's role (`role` claim) and its claims as JSON, for `request.jwt.claims`. */
  readonly role: string;
  readonly claimsJson: string;
  isOpen(): boolean;
  pushChange(ids: number[], data: Record<string, unknown>): void;
  /** The stream came back after a loss: say "Subscribed to PostgreSQL" again, as the real server does. */
  replicationResumed(): void;
}

export interface Subscription {
  /** The id echoed in the join reply; the client routes a change to the bindings whose id is in `ids`. */
  readonly id: number;
  readonly params: SubscriptionParams;
  readonly channel: ChannelSink;
}

export class SubscriptionRegistry {
  private readonly byTable = new Map<number, Set<Subscription>>();
  private readonly tablesOf = new Map<Subscription, number[]>();

  add(subscription: Subscription, relids: number[]): void {
    this.remove(subscription);
    this.tablesOf.set(subscription, relids);
    for (const relid of relids) {
      let set = this.byTable.get(relid);
      if (!set) this.byTable.set(relid, (set = new Set()));
      set.add(subscription);
    }
  }

  remove(subscription: Subscription): void {
    for (const relid of this.tablesOf.get(subscription) ?? []) {
      const set = this.byTable.get(relid);
      set?.delete(subscription);
      if (set?.size === 0) this.byTable.delete(relid);
    }
    this.tablesOf.delete(subscription);
  }

  /** Subscriptions of this table that listen to this event type, in subscription order. */
  candidates(relid: number, event: string): Subscription[] {
    const result: Subscription[] = [];
    for (const subscription of this.byTable.get(relid) ?? []) {
      const wanted = subscription.params.event;
      if ((wanted === '*' || wanted === event) && subscription.channel.isOpen()) result.push(subscription);
    }
    return result;
  }

  /** Every channel with at least one live subscription. */
  channels(): Set<ChannelSink> {
    return new Set([...this.tablesOf.keys()].map((subscription) => subscription.channel));
  }

  get size(): number {
    return this.tablesOf.size;
  }
}
