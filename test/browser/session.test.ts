// The host app hands the element its session through `.session` and keeps it fresh: the way of
// the forms where the page owns supabase-js (sources, the slim CDN file, npm). The all-in-one file
// reads the session itself (support/live.ts, cdn.test.ts), so this file is not run against it
// (test/browser/forms.ts).
import { expect, fixture, html } from '@open-wc/testing';
import { createClient, type Session } from '@supabase/supabase-js';
import 'wacrm-notifications/define';
import type { WacrmNotificationBell } from 'wacrm-notifications';
import { badgeText, expectEqualsDatabase } from './support/live.js';
import { assign, command, conversation, eventually, standInInfo, team, type Agent } from './support/stand-in.js';

describe('a session handed over by the host app', () => {
  it('a session that expires and is refreshed keeps delivering', async () => {
    const { accountId, agents, contactId } = await team(['Olga Berg', 'Pat Quinn']);
    const [olga, pat] = agents as [Agent, Agent];
    const { url, anonKey } = await standInInfo();
    let token = await command<string>('token', { agent: olga, seconds: 3 });
    const session = (access_token: string, seconds: number) =>
      ({ access_token, expires_at: Math.floor(Date.now() / 1000) + seconds, user: { id: olga.id } }) as unknown as Session;
    const client = createClient(url, anonKey, { accessToken: async () => token });
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell></wacrm-notification-bell>`);
    bell.supabase = client;
    bell.session = session(token, 3);
    await eventually(() => bell.activeStore.state.realtime === 'live', 'live');
    // The host's auth refreshes the session before it expires and hands the new one over.
    token = await command<string>('token', { agent: olga, seconds: 600 });
    bell.session = session(token, 600);
    await new Promise((resolve) => setTimeout(resolve, 4000)); // the first token is now expired
    await assign(await conversation(accountId, contactId), olga, pat);
    await eventually(() => badgeText(bell) === '1', 'still delivering after the first token expired');
    expect(bell.activeStore.state.status).to.equal('ready');
    await expectEqualsDatabase(bell, olga);
  });
});
