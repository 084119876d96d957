// Broadcast and presence between the channels of this process, as Realtime's PubSub carries them:
// per topic in two separate namespaces, public and private (Realtime's "<tenant>:<topic>" and
// "<tenant>-private:<topic>"), so a message sent to one never reaches a channel of the other.
// Private members receive only what their join-time authorisation lets them read.
import { randomBytes } from 'node:crypto';
import type { UserBroadcast } from './phoenix.js';

/**
 * What travels on a topic. `text` is Phoenix.Socket.Broadcast (client text pushes, the REST batch):
 * sent as a JSON `broadcast` push in both protocol versions. `user` is Realtime's UserBroadcast
 * (rows of realtime.messages, kind-3 pushes, the per-topic REST route): kind 4 on vsn 2.0.0.
 */
export type BroadcastMessage =
  | { kind: 'text'; payload: Record<string, unknown> }
  | { kind: 'user'; message: UserBroadcast };

export interface HubMember {
  /** The member's namespaced topic, see hubTopic(). */
  readonly hubTopic: string;
  readonly presenceKey: string;
  readonly receivesOwnBroadcasts: boolean;
  /** False for a private channel whose join did not grant broadcast read, or a message it had replayed. */
  receivesBroadcast(id: string | undefined): boolean;
  receivesPresence(): boolean;
  deliver(message: BroadcastMessage): void;
  push(event: string, payload: Record<string, unknown>): void;
  /** The stream of realtime.messages is back after an outage (what was committed meanwhile is lost). */
  broadcastStreamResumed(): void;
}

/** The PubSub topic of a channel topic: private and public never meet. */
export const hubTopic = (subTopic: string, isPrivate: boolean) => `${isPrivate ? 'private' : 'public'}:${subTopic}`;

type Metas = { phx_ref: string; [key: string]: unknown }[];

export class Hub {
  private readonly members = new Map<string, Set<HubMember>>();
  /** hubTopic → presence key → tracked entries of the members (one each). */
  private readonly presences = new Map<string, Map<string, Map<HubMember, Metas[number]>>>();

  join(member: HubMember): void {
    let set = this.members.get(member.hubTopic);
    if (!set) this.members.set(member.hubTopic, (set = new Set()));
    set.add(member);
  }

  leave(member: HubMember): void {
    this.untrack(member);
    const set = this.members.get(member.hubTopic);
    set?.delete(member);
    if (set?.size === 0) this.members.delete(member.hubTopic);
  }

  /**
   * Sends to every member of the topic that may read it; `from` (a sending channel) is left out
   * unless it asked for its own broadcasts; `id` is the message's id, for replay de-duplication.
   */
  broadcast(topic: string, message: BroadcastMessage, { from, id }: { from?: HubMember; id?: string } = {}): void {
    for (const member of this.members.get(topic) ?? []) {
      if (member === from && !member.receivesOwnBroadcasts) continue;
      if (member.receivesBroadcast(id)) member.deliver(message);
    }
  }

  /** Every member of every topic. */
  *everyMember(): Iterable<HubMember> {
    for (const set of this.members.values()) yield* set;
  }

  presenceState(topic: string): Record<string, { metas: Metas }> {
    const state: Record<string, { metas: Metas }> = {};
    for (const [key, entries] of this.presences.get(topic) ?? []) state[key] = { metas: [...entries.values()] };
    return state;
  }

  track(member: HubMember, meta: Record<string, unknown>): void {
    const leaves = this.removeEntry(member);
    const entry = { ...meta, phx_ref: randomBytes(8).toString('base64url') };
    let byKey = this.presences.get(member.hubTopic);
    if (!byKey) {
      byKey = new Map();
      this.presences.set(member.hubTopic, byKey);
    }
    let entries = byKey.get(member.presenceKey);
    if (!entries) {
      entries = new Map();
      byKey.set(member.presenceKey, entries);
    }
    entries.set(member, entry);
    this.diff(member.hubTopic, { [member.presenceKey]: { metas: [entry] } }, leaves);
  }

  untrack(member: HubMember): void {
    const leaves = this.removeEntry(member);
    if (Object.keys(leaves).length) this.diff(member.hubTopic, {}, leaves);
  }

  private removeEntry(member: HubMember): Record<string, { metas: Metas }> {
    const entries = this.presences.get(member.hubTopic)?.get(member.presenceKey);
    const entry = entries?.get(member);
    if (!entries || !entry) return {};
    entries.delete(member);
    if (entries.size === 0) this.presences.get(member.hubTopic)!.delete(member.presenceKey);
    return { [member.presenceKey]: { metas: [entry] } };
  }

  private diff(topic: string, joins: Record<string, { metas: Metas }>, leaves: Record<string, { metas: Metas }>) {
    for (const member of this.members.get(topic) ?? []) {
      if (member.receivesPresence()) member.push('presence_diff', { joins, leaves });
    }
  }
}
