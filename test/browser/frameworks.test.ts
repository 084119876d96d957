// The React 19 and Vue 3 examples (demo/examples/) mounted as an app would, against the local
// stand-in: a signed-in client and session go in as properties, a teammate's assignment raises the
// badge, the framework's own event binding hears wacrm-unread-change, and no wacrm-error is fired.
import { expect, fixture, html } from '@open-wc/testing';
import type { WacrmNotificationBell } from 'wacrm-notifications';
import { mountInboxHeader as mountReact } from '../../demo/examples/react.js';
import { mountInboxHeader as mountVue } from '../../demo/examples/vue.js';
import { assign, conversation, eventually, signIn, team, type Agent } from './support/stand-in.js';
import { badgeText, isLive } from './support/live.js';


async function scenario(mount: (container: Element, agent: Awaited<ReturnType<typeof signIn>>, onUnread: (count: number) => void) => () => void) {
  const { accountId, agents, contactId } = await team(['Gabriela Souza', 'Hugo Alves']);
  const [gabriela, hugo] = agents as [Agent, Agent];
  const signedIn = await signIn(hugo);
  const container = await fixture<HTMLDivElement>(html`<div></div>`);
  const counts: number[] = [];
  const errors: string[] = [];
  container.addEventListener('wacrm-error', (event) => errors.push(event.error.code));
  const unmount = mount(container, signedIn, (count) => counts.push(count));
  try {
    await eventually(() => container.querySelector('wacrm-notification-bell') !== null, 'the bell is rendered');
    const bell = container.querySelector('wacrm-notification-bell') as WacrmNotificationBell;
    expect(bell.supabase).to.equal(signedIn.client);
    expect(bell.session?.user.id).to.equal(hugo.id);
    expect(bell.getAttribute('href-template')).to.equal('/inbox?c={conversation_id}');
    await eventually(() => isLive(bell), 'the bell is live');

    await assign(await conversation(accountId, contactId), hugo, gabriela);
    await eventually(() => badgeText(bell) === '1', 'badge shows 1');
    await eventually(() => counts.at(-1) === 1, 'the framework’s listener heard wacrm-unread-change');
    expect(errors, 'the README’s 2c setup reports no error').to.deep.equal([]);
  } finally {
    unmount();
    await signedIn.client.removeAllChannels();
  }
}

describe('framework examples', () => {
  it('React 19: properties and events on <wacrm-notification-bell>', async () => {
    await scenario((container, { client, session }, onUnreadChange) => {
      const root = mountReact(container, { supabase: client, session, onUnreadChange });
      return () => root.unmount();
    });
  });

  it('Vue 3: isCustomElement, .prop bindings and @wacrm-… listeners', async () => {
    await scenario((container, { client, session }, onUnread) => {
      const app = mountVue(container, { supabase: client, session, onUnread });
      return () => app.unmount();
    });
  });
});
