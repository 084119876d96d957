// The account's deals, through supabase-js as the signed-in agent: RLS shows the account's deals
// and lets agents change them. Moving a deal or marking it won only writes deals.stage_id or
// deals.status; the deal trigger tells the deal's assignee (unless that is who changed it).
import type { SupabaseClient } from '@supabase/supabase-js';

export type DealStatus = 'open' | 'won' | 'lost';

export interface Stage {
  id: string;
  name: string;
}

export interface DealRow {
  id: string;
  title: string;
  stage: Stage;
  /** The stage after this one in its pipeline; null on the last. */
  nextStage: Stage | null;
  status: DealStatus;
  /** The assignee's user id (deals.assigned_to is a profiles.id; the notification goes to its user). */
  assigneeUserId: string | null;
  assigneeName: string;
}

function check<T>(result: { data: T | null; error: { message: string } | null }): T {
  if (result.error) throw new Error(result.error.message);
  return result.data as T;
}

export async function loadDeals(client: SupabaseClient): Promise<DealRow[]> {
  const [deals, stages, profiles] = await Promise.all([
    client.from('deals').select('id, title, stage_id, status, assigned_to').order('title'),
    client.from('pipeline_stages').select('id, pipeline_id, name, position').order('position'),
    client.from('profiles').select('id, user_id, full_name'),
  ]);
  const stageRows = check(stages) as { id: string; pipeline_id: string; name: string; position: number }[];
  const people = new Map(
    (check(profiles) as { id: string; user_id: string; full_name: string }[]).map((profile) => [profile.id, profile]),
  );
  return (check(deals) as { id: string; title: string; stage_id: string; status: DealStatus; assigned_to: string | null }[]).map(
    (deal) => {
      const stage = stageRows.find((candidate) => candidate.id === deal.stage_id);
      const pipeline = stageRows.filter((candidate) => candidate.pipeline_id === stage?.pipeline_id);
      const next = stage ? pipeline[pipeline.indexOf(stage) + 1] : undefined;
      const assignee = deal.assigned_to ? people.get(deal.assigned_to) : undefined;
      return {
        id: deal.id,
        title: deal.title,
        stage: { id: deal.stage_id, name: stage?.name ?? 'Unknown stage' },
        nextStage: next ? { id: next.id, name: next.name } : null,
        status: deal.status,
        assigneeUserId: assignee?.user_id ?? null,
        assigneeName: assignee?.full_name ?? (deal.assigned_to ? 'Someone outside the account' : 'Unassigned'),
      };
    },
  );
}

/**
 * Writes one change to a deal as the signed-in agent. It applies only while the deal is as the
 * page showed it: a teammate's change in between is not overwritten, and says so.
 */
export async function changeDeal(
  client: SupabaseClient,
  deal: DealRow,
  change: { stage_id: string } | { status: DealStatus },
): Promise<void> {
  const { data, error } = await client
    .from('deals')
    .update(change)
    .eq('id', deal.id)
    .eq('stage_id', deal.stage.id)
    .eq('status', deal.status)
    .select('id');
  if (error) throw new Error(error.message);
  // RLS filters out a deal the agent may not change: the update "succeeds" on nothing.
  if (!data?.length) throw new Error('the deal changed meanwhile, or you may not change it: refreshed');
}
