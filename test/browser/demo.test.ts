// The demo page (demo/index.html) driven as a person would: two agents sign in through its form,
// one assigns a conversation to the other with the "assign to" control, moves and wins their deal,
// or has a customer write to them, and the other's bell rises.
// The page runs in an iframe served by the test runner itself, pointed at the runner's stand-in by
// the query string (the demo server's /demo-api/config is not there, so no automation either).
import { expect } from '@open-wc/testing';
import type { DemoAgentView } from '../../demo/agent-view.js';
import { CUSTOMER_MESSAGE_SQL } from '../../demo/server/customer-message.js';
import { assign, conversation, eventually, sql, sqlAs, standInInfo, team, type Agent } from './support/stand-in.js';

type Seat = 'main' | 'teammate';

async function openDemo(query: Record<string, string>): Promise<Document> {
  const { url, anonKey } = await standInInfo();
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width: 1400px; height: 900px; border: 0';
  frame.src = `/demo/index.html?${new URLSearchParams({ ...query, 'supabase-url': url, 'anon-key': anonKey })}`;
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  return frame.contentDocument!;
}

const seat = (page: Document, name: Seat) => page.querySelector<DemoAgentView>(`demo-agent-view[seat="${name}"]`)!;
const bellOf = (page: Document, name: Seat) => seat(page, name).querySelector('wacrm-notification-bell');
const badgeOf = (page: Document, name: Seat) =>
  bellOf(page, name)?.shadowRoot?.querySelector('[part="badge"]')?.textContent?.trim() ?? '';
const itemsOf = (page: Document, name: Seat) => bellOf(page, name)!.activeStore.state.items;
const statusOf = (page: Document, name: Seat, list: 'demo-conversations' | 'demo-deals') =>
  seat(page, name).querySelector(`${list} [role="status"]`)?.textContent?.trim() ?? '';

/**
 * Plays the demo server for the main seat, which the runner does not serve: its "Customer writes"
 * request runs the statement the server runs (demo/server/customer-message.ts) as the database
 * owner without claims, as Wacrm's webhook writes, for the caller the token names. Its HTTP side
 * (tokens checked, 401/404/400) is test/demo's. Call before signing in.
 */
async function playDemoServer(page: Document, texts: string[]): Promise<void> {
  const view = seat(page, 'main');
  view.connection = { ...view.connection, automation: true };
  await view.updateComplete; // the seat follows its session afresh: sign in after this
  const window = page.defaultView as Window & typeof globalThis;
  const pageFetch = window.fetch.bind(window);
  let said = 0;
  window.fetch = async (input, init) => {
    // The demo asks with the path as a string (a Request or URL would be absolute).
    if (input !== '/demo-api/customer-message') return pageFetch(input, init);
    const token = new Headers(init?.headers).get('authorization')!.replace(/^Bearer /, '');
    const callerId = (JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub: string }).sub;
    if (typeof init?.body !== 'string') throw new TypeError('the demo posts its request as a JSON string');
    const { conversationId } = JSON.parse(init.body) as { conversationId: string };
    const text = texts[said++ % texts.length]!;
    const rows = await sqlAs<{ messageId: string }>(null, CUSTOMER_MESSAGE_SQL, [callerId, conversationId, text]);
    const [status, answer] = rows[0] ? [201, { messageId: rows[0].messageId, text }] : [404, { message: 'no such conversation in your account' }];
    return new Response(JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } });
  };
}

async function signIn(page: Document, name: Seat, agent: Agent) {
  await eventually(() => !!seat(page, name)?.querySelector('form.sign-in'), `${name} shows the sign-in form`);
  const form = seat(page, name).querySelector('form.sign-in') as HTMLFormElement;
  (form.elements.namedItem('email') as HTMLInputElement).value = agent.email;
  (form.elements.namedItem('password') as HTMLInputElement).value = (await standInInfo()).password;
  form.requestSubmit();
  await eventually(() => {
    const state = bellOf(page, name)?.activeStore.state;
    return state?.status === 'ready' && state.realtime === 'live';
  }, `${agent.fullName}'s bell is live`);
}

describe('the demo page', () => {
  afterEach(() => {
    for (const frame of document.querySelectorAll('iframe')) frame.remove();
    // The page keeps each seat's session (same origin as this runner): start the next test signed out.
    for (const key of Object.keys(localStorage)) if (key.startsWith('wacrm-demo:')) localStorage.removeItem(key);
  });

  it('one agent assigns a conversation to the other: the other’s badge rises, only theirs', async () => {
    const { accountId, agents, contactId } = await team(['Alice Demo', 'Bob Demo']);
    const [alice, bob] = agents as [Agent, Agent];
    const conversationId = await conversation(accountId, contactId);

    const page = await openDemo({ view: 'split' });
    await signIn(page, 'main', alice);
    await signIn(page, 'teammate', bob);
    expect(badgeOf(page, 'teammate')).to.equal('');

    const row = () => seat(page, 'main').querySelector<HTMLTableRowElement>(`tr[data-id="${conversationId}"]`);
    await eventually(() => row() !== null, 'Alice sees the conversation in her list');
    expect(seat(page, 'main').querySelector('[data-action="automation"]'), 'no automation without the demo server').to.equal(null);
    expect(seat(page, 'main').querySelector('[data-action="customer-writes"]'), 'no customer either').to.equal(null);
    row()!.querySelector('select')!.value = bob.id;
    row()!.querySelector<HTMLButtonElement>('[data-action="assign"]')!.click();

    await eventually(() => badgeOf(page, 'teammate') === '1', 'Bob’s badge rises');
    const [stored] = await sql<{ assigned_agent_id: string }>('select assigned_agent_id from public.conversations where id = $1', [
      conversationId,
    ]);
    expect(stored!.assigned_agent_id).to.equal(bob.id);
    expect(bellOf(page, 'teammate')!.activeStore.state.items.map((item) => item.body)).to.deep.equal([
      'Alice Demo assigned you a conversation with Maria Silva',
    ]);
    // Bob's list follows the notification (wacrm-receive) and names him as the assignee.
    await eventually(
      () => seat(page, 'teammate').querySelector<HTMLSelectElement>(`tr[data-id="${conversationId}"] select`)?.selectedOptions[0]?.text === 'Bob Demo',
      'Bob’s list shows the new assignee',
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a wrong delivery to show up
    expect(badgeOf(page, 'main')).to.equal('');
    expect(bellOf(page, 'main')!.activeStore.state.items).to.deep.equal([]);
  });

  it('the language switch reaches the elements', async () => {
    const { agents } = await team(['Carla Demo']);
    const page = await openDemo({ view: 'inbox' });
    await signIn(page, 'main', agents[0]!);
    const language = [...page.querySelectorAll<HTMLSelectElement>('.toolbar select')].find((select) =>
      select.closest('label')?.textContent?.includes('Language'),
    )!;
    language.value = 'pt-BR';
    language.dispatchEvent(new Event('change'));
    const label = () => bellOf(page, 'main')!.shadowRoot!.querySelector('[part="button"]')!.getAttribute('aria-label');
    await eventually(() => label() === 'Notificações', 'the bell speaks Portuguese');
  });

  it('a customer writes on Bob’s conversation: Bob’s bell rises, and a second message folds into the same row', async () => {
    const { accountId, agents, contactId } = await team(['Alice Demo', 'Bob Demo']);
    const [alice, bob] = agents as [Agent, Agent];
    const conversationId = await conversation(accountId, contactId);
    await assign(conversationId, bob, bob); // his own doing: no notification to start with

    const page = await openDemo({ view: 'split' });
    await eventually(() => !!seat(page, 'main')?.querySelector('form.sign-in'), 'the page is up');
    await playDemoServer(page, ['Is my order on its way?', 'Hello??']);
    await signIn(page, 'main', alice);
    await signIn(page, 'teammate', bob);
    expect(badgeOf(page, 'teammate')).to.equal('');

    const button = () =>
      seat(page, 'main').querySelector<HTMLButtonElement>(`tr[data-id="${conversationId}"] [data-action="customer-writes"]`);
    await eventually(() => button() !== null, 'Alice sees “Customer writes” next to “Assign”');
    expect(button()!.closest('td')!.querySelector('[data-action="assign"]'), 'in the assign controls').not.to.equal(null);
    button()!.click();

    await eventually(() => badgeOf(page, 'teammate') === '1', 'Bob’s badge rises');
    expect(itemsOf(page, 'teammate').map(({ type, title, body }) => ({ type, title, body }))).to.deep.equal([
      { type: 'message_received', title: 'New message from Maria Silva', body: 'Is my order on its way?' },
    ]);
    await eventually(
      () => statusOf(page, 'main', 'demo-conversations') === 'Maria Silva wrote “Is my order on its way?” → Bob Demo’s bell',
      'Alice is told what happened',
    );
    const [stored] = await sql<{ sender_type: string; content_text: string }>(
      'select sender_type, content_text from public.messages where conversation_id = $1',
      [conversationId],
    );
    expect(stored).to.deep.equal({ sender_type: 'customer', content_text: 'Is my order on its way?' });

    button()!.click();
    await eventually(() => itemsOf(page, 'teammate')[0]?.body === 'Hello??', 'the second message updates Bob’s row');
    expect(itemsOf(page, 'teammate')).to.have.length(1);
    expect(itemsOf(page, 'teammate')[0]!.data).to.include({ message_count: 2 });
    expect(badgeOf(page, 'teammate')).to.equal('1');
    expect(badgeOf(page, 'main')).to.equal('');
  });

  it('Alice moves Bob’s deal to the next stage and marks it won: Bob’s bell names her each time', async () => {
    const { accountId, agents, contactId } = await team(['Alice Demo', 'Bob Demo']);
    const [alice, bob] = agents as [Agent, Agent];
    const [pipeline] = await sql<{ id: string }>(`insert into public.pipelines (account_id, name) values ($1, 'Sales') returning id`, [accountId]);
    const [lead] = await sql<{ id: string }>(
      `insert into public.pipeline_stages (pipeline_id, name, position) values ($1, 'Lead', 0), ($1, 'Qualified', 1) returning id`,
      [pipeline!.id],
    );
    // Bob takes the deal himself: no notification to start with.
    const [deal] = await sqlAs<{ id: string }>(
      bob,
      `insert into public.deals (account_id, pipeline_id, stage_id, contact_id, title, assigned_to)
       values ($1, $2, $3, $4, 'Fleet renewal', (select id from public.profiles where user_id = $5)) returning id`,
      [accountId, pipeline!.id, lead!.id, contactId, bob.id],
    );

    const page = await openDemo({ view: 'split' });
    await signIn(page, 'main', alice);
    await signIn(page, 'teammate', bob);
    expect(badgeOf(page, 'teammate')).to.equal('');

    const action = (name: string) =>
      seat(page, 'main').querySelector<HTMLButtonElement>(`demo-deals tr[data-deal-id="${deal!.id}"] [data-action="${name}"]`);
    await eventually(() => action('next-stage') !== null, 'Alice sees Bob’s deal');
    action('next-stage')!.click();
    await eventually(() => badgeOf(page, 'teammate') === '1', 'Bob’s badge rises');
    expect(itemsOf(page, 'teammate').map((item) => item.body)).to.deep.equal(['Alice Demo moved Fleet renewal to Qualified']);
    await eventually(() => action('next-stage')?.disabled === true, 'Qualified is the last stage');
    expect(statusOf(page, 'main', 'demo-deals')).to.equal('Fleet renewal moved to Qualified (Bob Demo is notified)');

    action('won')!.click();
    await eventually(() => badgeOf(page, 'teammate') === '2', 'Bob’s badge rises again');
    expect(itemsOf(page, 'teammate')[0]!.body).to.equal('Alice Demo marked Fleet renewal as won');
    await eventually(() => action('reopen') !== null, 'a won deal can be reopened');
    const [stored] = await sql<{ status: string }>('select status from public.deals where id = $1', [deal!.id]);
    expect(stored!.status).to.equal('won');
    expect(badgeOf(page, 'main')).to.equal('');
  });
});
