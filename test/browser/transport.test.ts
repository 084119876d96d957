// The broadcast transport through the real stack, in the form under test: the user's private topic
// (the broadcast migration's trigger and policy), changes applied as on postgres_changes, a clear
// error when the migration's policy is missing, and a switch of transport at run time.
import { expect } from '@open-wc/testing';
import 'wacrm-notifications/define';
import { badgeText, expectEqualsDatabase, isLive, mountSignedIn } from './support/live.js';
import { assign, conversation, eventually, sql, team, type Agent } from './support/stand-in.js';

async function aTeam() {
  const { accountId, agents, contactId } = await team(['Paula Vidal', 'Quim Rosa']);
  const [teammate, me] = agents as [Agent, Agent];
  return { me, assignToMe: async () => assign(await conversation(accountId, contactId), me, teammate) };
}

function recordErrors(element: HTMLElement) {
  const errors: { code: string; message: string }[] = [];
  element.addEventListener('wacrm-error', (event) => errors.push({ code: event.error.code, message: event.error.message }));
  return errors;
}

describe('transport="broadcast"', () => {
  it('arrivals, reads and deletes come over the private topic; the list and badge equal the database', async () => {
    const { me, assignToMe } = await aTeam();
    await assignToMe();
    const { element: bell } = await mountSignedIn(me, 'wacrm-notification-bell', {
      beforeConfigure: (element) => element.setAttribute('transport', 'broadcast'),
    });
    await eventually(() => isLive(bell) && badgeText(bell) === '1', 'live with 1');
    await assignToMe();
    await assignToMe();
    await eventually(() => badgeText(bell) === '3', 'two arrivals');
    // Changes made elsewhere (another device marking one read, an admin deleting one) arrive too.
    const [newest, , oldest] = bell.activeStore.state.items;
    await sql('update public.notifications set read_at = now() where id = $1', [newest!.id]);
    await sql('delete from public.notifications where id = $1', [oldest!.id]);
    await eventually(() => badgeText(bell) === '1' && bell.activeStore.state.items.length === 2, 'the read and the delete');
    await expectEqualsDatabase(bell, me);
  });

  it('without the migration’s policy the join is refused, and the error names the migration; the list still loads', async () => {
    const { me, assignToMe } = await aTeam();
    await assignToMe();
    const policy = async () =>
      (await sql<{ name: string; qual: string }>(
        `select policyname as name, qual from pg_policies where schemaname = 'realtime' and tablename = 'messages' and policyname like 'notifications_broadcast%'`,
      ))[0]!;
    const original = await policy();
    expect(original.name).to.equal('notifications_broadcast_read_own_topic');
    await sql('alter policy notifications_broadcast_read_own_topic on realtime.messages rename to notifications_broadcast_parked');
    await sql('alter policy notifications_broadcast_parked on realtime.messages using (false)');
    try {
      let errors: { code: string; message: string }[] = [];
      const { element: bell } = await mountSignedIn(me, 'wacrm-notification-bell', {
        beforeConfigure: (element) => {
          element.setAttribute('transport', 'broadcast');
          errors = recordErrors(element);
        },
      });
      await eventually(() => badgeText(bell) === '1', 'the list loads over HTTP');
      await eventually(() => errors.some((error) => error.code === 'migration-missing'), 'the refusal reported', 15000);
      const refusal = errors.find((error) => error.code === 'migration-missing')!;
      expect(refusal.message).to.contain('20261129180000_notifications_broadcast.sql');
      expect(refusal.message).to.contain('You do not have permissions to read from this Channel topic');
      expect(bell.activeStore.state.realtime).not.to.equal('live');
    } finally {
      await sql(`alter policy notifications_broadcast_parked on realtime.messages using (${original.qual})`);
      await sql('alter policy notifications_broadcast_parked on realtime.messages rename to notifications_broadcast_read_own_topic');
      expect(await policy(), 'the policy is back as it was').to.deep.equal(original);
    }
  });

  it('switching transport at run time keeps the list and goes live on the other', async () => {
    const { me, assignToMe } = await aTeam();
    await assignToMe();
    const { element: bell } = await mountSignedIn(me, 'wacrm-notification-bell');
    await eventually(() => isLive(bell) && badgeText(bell) === '1', 'live on postgres_changes');
    const store = bell.activeStore;
    (bell).transport = 'broadcast';
    await eventually(() => isLive(bell), 'live on broadcast');
    expect(bell.activeStore, 'the same list').to.equal(store);
    await assignToMe();
    await eventually(() => badgeText(bell) === '2', 'an arrival over broadcast');
    await expectEqualsDatabase(bell, me);
  });
});
