// Broadcast and presence between the channels that joined the same topic, in this process only
// (public channels; no RLS on realtime.messages). Enough for clients that use a channel for both
// postgres_changes and a little broadcast or presence; not a replacement for Supabase's cluster.
import { randomBytes } from 'node:crypto';

export interface HubMember {
  readonly subTopic: string;
  readonly presenceKey: string;
  readonly receivesOwnBroadcasts: boolean;
  push(event: string, payload: Record<string, unknown>): void;
}

type Metas = { phx_ref: string; [key: string]: unknown }[];

export class Hub {
  private readonly members = new Map<string, Set<HubMember>>();
  /** subTopic → presence key → tracked entries of the members (one each). */
  private readonly presences = new Map<string, Map<string, Map<HubMember, Metas[number]>>>();

  join(member: HubMember): void {
    let set = this.members.get(member.subTopic);
    if (!set) this.members.set(member.subTopic, (set = new Set()));
    set.add(member);
  }

  leave(member: HubMember): void {
    this.untrack(member);
    const set = this.members.get(member.subTopic);
    set?.delete(member);
    if (set?.size === 0) this.members.delete(member.subTopic);
  }

  broadcast(from: HubMember, payload: Record<string, unknown>): void {
    for (const member of this.members.get(from.subTopic) ?? []) {
      if (member !== from || from.receivesOwnBroadcasts) member.push('broadcast', payload);
    }
  }

  presenceState(subTopic: string): Record<string, { metas: Metas }> {
    const state: Record<string, { metas: Metas }> = {};
    for (const [key, entries] of this.presences.get(subTopic) ?? []) state[key] = { metas: [...entries.values()] };
    return state;
  }

  track(member: HubMember, meta: Record<string, unknown>): void {
    const leaves = this.removeEntry(member);
    const entry = { ...meta, phx_ref: randomBytes(8).toString('base64url') };
    let byKey = this.presences.get(member.subTopic);
    if (!byKey) this.presences.set(member.subTopic, (byKey = new Map()));
    let entries = byKey.get(member.presenceKey);
    if (!entries) byKey.set(member.presenceKey, (entries = new Map()));
    entries.set(member, entry);
    this.diff(member.subTopic, { [member.presenceKey]: { metas: [entry] } }, leaves);
  }

  untrack(member: HubMember): void {
    const leaves = this.removeEntry(member);
    if (Object.keys(leaves).length) this.diff(member.subTopic, {}, leaves);
  }

  private removeEntry(member: HubMember): Record<string, { metas: Metas }> {
    const entries = this.presences.get(member.subTopic)?.get(member.presenceKey);
    const entry = entries?.get(member);
    if (!entries || !entry) return {};
    entries.delete(member);
    if (entries.size === 0) this.presences.get(member.subTopic)!.delete(member.presenceKey);
    return { [member.presenceKey]: { metas: [entry] } };
  }

  private diff(subTopic: string, joins: Record<string, { metas: Metas }>, leaves: Record<string, { metas: Metas }>) {
    for (const member of this.members.get(subTopic) ?? []) member.push('presence_diff', { joins, leaves });
  }
}
