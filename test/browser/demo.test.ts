// The demo page (demo/index.html) driven as a person would: two agents sign in through its form,
// one assigns a conversation to the other with the "assign to" control, and the other's bell rises.
// The page runs in an iframe served by the test runner itself, pointed at the runner's stand-in by
// the query string (the demo server's /demo-api/config is not there, so no automation either).
import { expect } from '@open-wc/testing';
import type { WacrmNotificationBell } from 'wacrm-notifications';
import { conversation, eventually, sql, standInInfo, team, type Agent } from './support/stand-in.js';

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

const seat = (page: Document, name: Seat) => page.querySelector(`demo-agent-view[seat="${name}"]`)!;
const bellOf = (page: Document, name: Seat) =>
  seat(page, name).querySelector('wacrm-notification-bell') as WacrmNotificationBell | null;
const badgeOf = (page: Document, name: Seat) =>
  bellOf(page, name)?.shadowRoot?.querySelector('[part="badge"]')?.textContent?.trim() ?? '';

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
});
