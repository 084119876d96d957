// The widget through the real stack: PostgreSQL → the local stand-in → supabase-js → the browser.
// Assignments are committed on the server (the trigger writes the notification); the bell and the
// panel must show exactly what the database holds for the signed-in user. Elements are mounted
// signed in as each form of the package is used (support/live.ts): properties, or the all-in-one
// file's attributes and the host app's stored session.
import { expect } from '@open-wc/testing';
import 'wacrm-notifications/define';
import type { WacrmNotificationBell, WacrmNotificationPanel } from 'wacrm-notifications';
import { badgeText, expectEqualsDatabase, isLive, mountSignedIn } from './support/live.js';
import { assign, conversation, eventually, sql, team, unreadInDatabase, command, until, type Agent } from './support/stand-in.js';

function panelOf(bell: WacrmNotificationBell): WacrmNotificationPanel {
  return bell.shadowRoot!.querySelector('wacrm-notification-panel') as WacrmNotificationPanel;
}

function items(panel: WacrmNotificationPanel) {
  return [...panel.shadowRoot!.querySelectorAll<HTMLButtonElement>('[part~="item"]')].map((item) => ({
    element: item,
    id: item.dataset.id!,
    unread: item.part.contains('item--unread'),
    // The title's own text, without the visually hidden ", Unread" marker.
    title: [...item.querySelector('[part="title"]')!.childNodes]
      .filter((node) => node.nodeType === Node.TEXT_NODE)
      .map((node) => node.textContent)
      .join('')
      .trim(),
    body: item.querySelector('[part="body"]')?.textContent ?? '',
  }));
}

async function bellFor(agent: Agent) {
  const mounted = await mountSignedIn(agent, 'wacrm-notification-bell');
  const bell = mounted.element;
  await eventually(() => isLive(bell), 'bell is live');
  return { ...mounted, bell };
}

describe('live through the local stand-in', () => {
  it('a teammate’s assignment raises the badge and shows the entry with actor and contact', async () => {
    const { accountId, agents, contactId } = await team(['Alice Martin', 'Bob Chen']);
    const [alice, bob] = agents as [Agent, Agent];
    const { bell } = await bellFor(bob);
    expect(badgeText(bell)).to.equal('');

    await assign(await conversation(accountId, contactId), bob, alice);
    await eventually(() => badgeText(bell) === '1', 'badge shows 1');
    await bell.show();
    const panel = panelOf(bell);
    await eventually(() => items(panel).length === 1, 'one entry');
    expect(items(panel)[0]).to.include({
      unread: true,
      title: 'New conversation assigned',
      body: 'Alice Martin assigned you a conversation with Maria Silva',
    });
    expect(bell.shadowRoot!.querySelector('[part="button"]')!.getAttribute('aria-label')).to.equal('Notifications, 1 unread');
  });

  it('an automation’s assignment shows "Someone"; another user’s never appears', async () => {
    const { accountId, agents, contactId } = await team(['Carol Diaz', 'Dan Brown']);
    const [carol, dan] = agents as [Agent, Agent];
    const { bell } = await bellFor(carol);
    await assign(await conversation(accountId, contactId), dan); // not Carol's
    await assign(await conversation(accountId, contactId), carol); // automation, for Carol
    await eventually(() => bell.activeStore.state.items.length === 1, 'Carol’s entry arrives');
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a wrong delivery to show up
    expect(bell.activeStore.state.items.map((item) => item.body)).to.deep.equal([
      'Someone assigned you a conversation with Maria Silva',
    ]);
    expect(bell.activeStore.state.items.every((item) => item.user_id === carol.id)).to.equal(true);
    await expectEqualsDatabase(bell, carol);
  });

  it('a click marks read in the database and lowers the badge; mark all reads the rest', async () => {
    const { accountId, agents, contactId } = await team(['Erin Stone', 'Frank Ocean']);
    const [erin, frank] = agents as [Agent, Agent];
    for (let i = 0; i < 3; i++) await assign(await conversation(accountId, contactId), erin, frank);
    const { bell } = await bellFor(erin);
    expect(badgeText(bell)).to.equal('3');
    await bell.show();
    const panel = panelOf(bell);
    await eventually(() => items(panel).length === 3, 'three entries');
    const [first] = items(panel);
    first!.element.click();
    await eventually(() => badgeText(bell) === '2', 'badge lowers at once');
    await until(async () => {
      const [row] = await sql<{ read_at: string | null }>('select read_at from public.notifications where id = $1', [first!.id]);
      return row!.read_at !== null;
    }, 'the click reached the database');

    const markAll = panel.shadowRoot!.querySelector<HTMLButtonElement>('[part="mark-all"]')!;
    markAll.click();
    await eventually(() => badgeText(bell) === '', 'badge clears');
    await until(async () => (await unreadInDatabase(erin)) === 0, 'mark all reached the database');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expectEqualsDatabase(bell, erin);
  });

  it('a panel used alone (a full-page list) shows a live arrival, and a click marks it read in the database', async () => {
    const { accountId, agents, contactId } = await team(['Uma Reyes', 'Victor Hale']);
    const [uma, victor] = agents as [Agent, Agent];
    const { element: panel } = await mountSignedIn(uma, 'wacrm-notification-panel');
    await eventually(() => isLive(panel), 'panel is live');
    expect(panel.ownsStore, 'alone, it keeps a store of its own').to.equal(true);
    expect(items(panel)).to.deep.equal([]);

    await assign(await conversation(accountId, contactId), uma, victor);
    await eventually(() => items(panel).length === 1, 'the entry arrives');
    expect(items(panel)[0]).to.include({ unread: true, body: 'Victor Hale assigned you a conversation with Maria Silva' });
    items(panel)[0]!.element.click();
    await eventually(() => items(panel)[0]?.unread === false, 'shown read at once');
    await until(async () => (await unreadInDatabase(uma)) === 0, 'the click reached the database');
    await expectEqualsDatabase(panel, uma);
  });

  it('two elements signed in as the same user in one page stay in step', async () => {
    const { accountId, agents, contactId } = await team(['Gina Lopez', 'Hugo Silva']);
    const [gina, hugo] = agents as [Agent, Agent];
    const first = await bellFor(gina);
    const second = await bellFor(gina);
    expect(first.bell.channelTopic).to.not.equal(second.bell.channelTopic);
    await assign(await conversation(accountId, contactId), gina, hugo);
    await eventually(() => badgeText(first.bell) === '1' && badgeText(second.bell) === '1', 'both show 1');
    await first.bell.activeStore.markRead(first.bell.activeStore.state.items[0]!.id);
    await eventually(() => badgeText(second.bell) === '', 'the other element follows the read');
    first.bell.remove();
    await assign(await conversation(accountId, contactId), gina, hugo);
    await eventually(() => badgeText(second.bell) === '1', 'removing one element does not close the other’s channel');
  });

  it('after the server drops every socket while assignments commit, list and badge equal the database', async () => {
    const { accountId, agents, contactId } = await team(['Ivy Chen', 'Jon Snow']);
    const [ivy, jon] = agents as [Agent, Agent];
    const { bell } = await bellFor(ivy);
    await assign(await conversation(accountId, contactId), ivy, jon);
    await eventually(() => badgeText(bell) === '1', 'first one live');
    await command('drop-sockets');
    for (let i = 0; i < 4; i++) await assign(await conversation(accountId, contactId), ivy, jon);
    await eventually(() => bell.activeStore.state.realtime === 'live' && badgeText(bell) === '5', 'caught up after reconnect', 20000);
    await expectEqualsDatabase(bell, ivy);
  });

  it('sign-out clears everything', async () => {
    const { accountId, agents, contactId } = await team(['Kim Park', 'Lee Ray']);
    const [kim, lee] = agents as [Agent, Agent];
    await assign(await conversation(accountId, contactId), kim, lee);
    const { bell, signOut } = await bellFor(kim);
    expect(badgeText(bell)).to.equal('1');
    await signOut();
    await eventually(() => bell.activeStore.state.status === 'signed-out', 'signed out');
    expect(badgeText(bell)).to.equal('');
    expect(bell.activeStore.state.items).to.deep.equal([]);
    expect(bell.channelTopic).to.equal(null);
  });

  it('markup in a contact name is shown as text', async () => {
    const { accountId, agents, contactId } = await team(['Mia Wong', 'Ned Kelly'], '<img src=x onerror="window.__pwned=1">Eve');
    const [mia, ned] = agents as [Agent, Agent];
    const { bell } = await bellFor(mia);
    await assign(await conversation(accountId, contactId), mia, ned);
    await bell.show();
    const panel = panelOf(bell);
    await eventually(() => items(panel).length === 1, 'entry arrives');
    expect(items(panel)[0]!.body).to.equal('Ned Kelly assigned you a conversation with <img src=x onerror="window.__pwned=1">Eve');
    expect(panel.shadowRoot!.querySelector('img')).to.equal(null);
    expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  /** Signs in, mounts a bell and opens it once it reported `code`; returns the panel's error text. */
  async function errorShownFor(agent: Agent, code: string): Promise<{ bell: WacrmNotificationBell; text: string }> {
    const errors: string[] = [];
    const { element: bell } = await mountSignedIn(agent, 'wacrm-notification-bell', {
      beforeConfigure: (element) => element.addEventListener('wacrm-error', (event) => errors.push(event.error.code)),
    });
    await eventually(() => errors.includes(code), `wacrm-error ${code}`);
    await bell.show();
    const panel = panelOf(bell);
    await eventually(() => !!panel.shadowRoot!.querySelector('[part="error"]'), 'error shown');
    return { bell, text: panel.shadowRoot!.querySelector('[part="error"]')!.textContent ?? '' };
  }

  it('without the migration the panel says what to apply, and a wacrm-error tells the host', async () => {
    const { agents } = await team(['Quinn Fox']);
    await sql('alter table public.notifications rename to notifications_parked_by_test');
    try {
      const { text } = await errorShownFor(agents[0]!, 'migration-missing');
      expect(text).to.contain('apply supabase/migrations/027_notifications.sql');
    } finally {
      await sql('alter table public.notifications_parked_by_test rename to notifications');
    }
  });

  it('a permission error says so in the panel and fires wacrm-error', async () => {
    const { agents } = await team(['Rita Moreno']);
    await sql('revoke select on public.notifications from authenticated');
    try {
      const { bell, text } = await errorShownFor(agents[0]!, 'permission-denied');
      expect(text).to.contain('refused access');
      expect(badgeText(bell)).to.equal('');
    } finally {
      await sql('grant select on public.notifications to authenticated');
    }
  });

  it('a realtime payload that is not a notification row is skipped with a wacrm-error, and the rest still arrives', async () => {
    const { accountId, agents, contactId } = await team(['Sam Tran', 'Tess Young']);
    const [sam, tess] = agents as [Agent, Agent];
    const { bell } = await bellFor(sam);
    // SUBSCRIBED answers the join before Realtime streams the channel's changes (a row committed
    // in between comes with the catch-up, over HTTP): one that arrives live says it streams now.
    await assign(await conversation(accountId, contactId), sam, tess);
    await eventually(() => bell.activeStore.state.items.length === 1, 'a first row, live');
    const errors: string[] = [];
    bell.addEventListener('wacrm-error', (event) => errors.push(event.error.code));
    // Realtime drops columns the subscriber may not select: without title the row is not a notification.
    await sql('revoke select on public.notifications from authenticated');
    await sql('grant select (id, account_id, user_id, type, conversation_id, contact_id, actor_user_id, body, read_at, created_at) on public.notifications to authenticated');
    try {
      await assign(await conversation(accountId, contactId), sam, tess);
      await eventually(() => errors.includes('malformed-event'), 'wacrm-error malformed-event');
      expect(bell.activeStore.state.items).to.have.length(1);
    } finally {
      await sql('grant select on public.notifications to authenticated');
    }
    await assign(await conversation(accountId, contactId), sam, tess);
    // The unreadable event made the widget catch up (retrying while the database refused): the
    // row it skipped is there too, read from the database.
    await eventually(() => bell.activeStore.state.items.length === 3, 'all three rows, the skipped one caught up', 15000);
    expect(bell.activeStore.state.items.every((item) => item.title === 'New conversation assigned')).to.equal(true);
    await expectEqualsDatabase(bell, sam);
  });
});
