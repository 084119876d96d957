// The README's own pages, exactly as written there (read from README.md at run time), against the
// local stand-in: only the project URL, the anon key and the CDN addresses are replaced, by the
// stand-in's and by the files this checkout built. A page that does what the README says never
// sees a wacrm-error.
import { expect } from '@open-wc/testing';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { WacrmNotificationBell } from 'wacrm-notifications';
import { assign, conversation, eventually, standInInfo, team, type Agent } from './support/stand-in.js';
import { openPage, type Page } from './support/page.js';
import { badgeText, defaultStorageKey as storageKeyFor, isLive } from './support/live.js';

/** The first ```html block under the README heading that starts with `heading`. */
async function readmeExample(heading: string): Promise<string> {
  const readme = await (await fetch('/README.md')).text();
  const section = readme.split(/^### /m).find((part) => part.startsWith(heading));
  const example = section && /```html\n([\s\S]*?)```/.exec(section)?.[1];
  if (!example) throw new Error(`README.md has no html example under "### ${heading}"`);
  return example;
}

/** The README's placeholders and CDN addresses, pointed at the stand-in and this checkout's files. */
async function localized(example: string): Promise<string> {
  const { url, anonKey } = await standInInfo();
  const replaced = example
    .replaceAll('https://YOUR-PROJECT.supabase.co', url)
    .replaceAll('YOUR-ANON-KEY', anonKey)
    .replaceAll('https://cdn.jsdelivr.net/npm/wacrm-notifications/dist/cdn/', '/cdn/')
    // jsDelivr's ES module build of supabase-js; here the package's own, through the dev server.
    .replaceAll('https://cdn.jsdelivr.net/npm/@supabase/supabase-js/+esm', '/node_modules/@supabase/supabase-js/dist/index.mjs');
  expect(replaced, 'every placeholder and CDN address was replaced').not.to.match(/YOUR-|cdn\.jsdelivr\.net/);
  return replaced;
}

/** A page of the site: the README's example, with every wacrm-error recorded from the first moment. */
function sitePage(example: string): Promise<Page> {
  return openPage(`<!doctype html><html lang="en"><head>
    <script>
      window.wacrmErrors = [];
      document.addEventListener('wacrm-error', (event) => window.wacrmErrors.push(event.error.code));
    </script>
  </head><body>${example}</body></html>`);
}


let page: Page | undefined;
let siteClient: SupabaseClient | undefined;

afterEach(async () => {
  page?.remove();
  page = undefined;
  await siteClient?.auth.signOut({ scope: 'local' });
  siteClient = undefined;
  localStorage.removeItem(storageKeyFor((await standInInfo()).url));
});

/** The site's own supabase-js signed the agent in on this origin (default storage key), as an app does. */
async function signedInOnTheSite(agent: Agent): Promise<void> {
  const { url, anonKey, password } = await standInInfo();
  siteClient = createClient(url, anonKey);
  const { error } = await siteClient.auth.signInWithPassword({ email: agent.email, password });
  expect(error).to.equal(null);
}

for (const heading of ['2a. HTML only', '2b. CDN, with your app']) {
  it(`README ${heading.split('.')[0]}: the page as written goes live, shows an assignment and reports no error`, async () => {
    const { accountId, agents, contactId } = await team(['Karla Dias', 'Luis Pena']);
    const [karla, luis] = agents as [Agent, Agent];
    await signedInOnTheSite(luis);
    page = await sitePage(await localized(await readmeExample(heading)));
    const errors = () => page!.window.wacrmErrors as string[];
    await eventually(() => page!.window.customElements.get('wacrm-notification-bell') !== undefined, 'the bell is defined');
    const bell = page.document.querySelector('wacrm-notification-bell') as WacrmNotificationBell;
    await eventually(() => isLive(bell), 'the bell is live with the site’s session');
    expect(bell.session?.user.id).to.equal(luis.id);
    await assign(await conversation(accountId, contactId), luis, karla);
    await eventually(() => badgeText(bell) === '1', 'badge shows 1');
    // Past the time a missing client would have been reported.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(errors(), 'no wacrm-error at any moment').to.deep.equal([]);
  });
}
