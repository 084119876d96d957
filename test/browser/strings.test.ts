// What the elements say: built-in Portuguese (Brazil) and Spanish, the page's language inherited,
// any string overridable, and notification text that is only ever text.
import { expect, fixture, html } from '@open-wc/testing';
import 'wacrm-notifications/define';
import type { NotificationStore, WacrmNotificationBell, WacrmNotificationPanel } from 'wacrm-notifications';
import { FakeDatabase, storeOver } from './support/fake-queries.js';
import { nextEvent, panelOf, part, parts, settle, text } from './support/dom.js';

async function storeWith(unread: number) {
  const db = new FakeDatabase();
  db.insertMany(unread);
  return storeOver(db);
}

async function openBell(store: NotificationStore, lang?: string) {
  const bell = await fixture<WacrmNotificationBell>(
    lang
      ? html`<wacrm-notification-bell .store=${store} lang=${lang}></wacrm-notification-bell>`
      : html`<wacrm-notification-bell .store=${store}></wacrm-notification-bell>`,
  );
  await bell.show();
  await settle(bell, panelOf(bell));
  return bell;
}

describe('strings', () => {
  it('speaks Portuguese (Brazil) with lang="pt-BR"', async () => {
    const bell = await openBell(await storeWith(3), 'pt-BR');
    const panel = panelOf(bell);
    expect(part(bell, 'button')!.getAttribute('aria-label')).to.equal('Notificações, não lidas: 3');
    expect(part(bell, 'popover')!.getAttribute('aria-label')).to.equal('Notificações');
    expect(text(part(panel, 'heading'))).to.equal('Notificações');
    expect(text(part(panel, 'mark-all'))).to.equal('Marcar todas como lidas');
    expect(parts(panel, 'filter-option').map(text)).to.deep.equal(['Todas', 'Não lidas', 'Arquivadas']);
    expect(part(panel, 'time')!.getAttribute('lang')).to.equal('pt-BR');
  });

  it('speaks Spanish with lang="es", including the empty state', async () => {
    const bell = await openBell(await storeWith(0), 'es');
    const panel = panelOf(bell);
    expect(part(bell, 'button')!.getAttribute('aria-label')).to.equal('Notificaciones');
    expect(text(part(panel, 'empty'))).to.equal('Todavía no hay notificaciones');
    expect(text(part(panel, 'mark-all'))).to.equal('Marcar todas como leídas');
  });

  it('follows the language of an ancestor', async () => {
    const store = await storeWith(2);
    const wrapper = await fixture<HTMLDivElement>(
      html`<div lang="es"><wacrm-notification-panel .store=${store}></wacrm-notification-panel></div>`,
    );
    const panel = wrapper.querySelector('wacrm-notification-panel')!;
    await settle(panel);
    expect(text(part(panel, 'heading'))).to.equal('Notificaciones');
    expect(part(panel, 'time')!.getAttribute('lang')).to.equal('es');
  });

  it('switches language when lang changes', async () => {
    const bell = await openBell(await storeWith(1), 'es');
    bell.lang = 'pt-BR';
    await settle(bell, panelOf(bell));
    expect(part(bell, 'button')!.getAttribute('aria-label')).to.equal('Notificações, não lidas: 1');
    expect(text(part(panelOf(bell), 'heading'))).to.equal('Notificações');
  });

  it('lets .strings override any string, on the bell and its panel', async () => {
    const store = await storeWith(2);
    const strings = { bellLabelUnread: '{count} new alerts', heading: 'Alerts', markAllRead: 'Clear all', unreadItem: 'new' };
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store} .strings=${strings}></wacrm-notification-bell>`);
    await bell.show();
    const panel = panelOf(bell);
    await settle(bell, panel);
    expect(part(bell, 'button')!.getAttribute('aria-label')).to.equal('2 new alerts');
    expect(text(part(panel, 'heading'))).to.equal('Alerts');
    expect(text(part(panel, 'mark-all'))).to.equal('Clear all');
    expect(text(part(panel, 'title'))).to.match(/, new$/);
  });

  it('lets .strings override error messages', async () => {
    const panel = await fixture<WacrmNotificationPanel>(
      html`<wacrm-notification-panel .strings=${{ errors: { 'no-client': 'Wire up Supabase first.' } }}></wacrm-notification-panel>`,
    );
    await nextEvent(panel, 'wacrm-error');
    await settle(panel);
    expect(text(part(panel, 'error'))).to.equal('Wire up Supabase first.');
  });
});

describe('notification text is text', () => {
  const hostile = '<img src=x onerror="window.__wacrmPwned = true"><b>bold</b>';

  it('renders markup in titles and bodies literally, and runs nothing', async () => {
    const db = new FakeDatabase();
    db.insert({ title: hostile, body: hostile });
    const store = await storeOver(db);
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}></wacrm-notification-bell>`);
    await bell.show();
    const panel = panelOf(bell);
    await settle(bell, panel);
    expect(panel.shadowRoot!.querySelector('img, b')).to.equal(null);
    expect(text(part(panel, 'title'))).to.equal(`${hostile}, Unread`);
    expect(text(part(panel, 'body'))).to.equal(hostile);

    // The live announcement too.
    store.apply({ type: 'INSERT', row: db.insert({ title: hostile }) });
    await settle(bell, panel);
    expect(bell.shadowRoot!.querySelector('img, b')).to.equal(null);
    expect(text(bell.shadowRoot!.querySelector('[aria-live]'))).to.equal(`New notification: ${hostile}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((window as unknown as { __wacrmPwned?: boolean }).__wacrmPwned).to.equal(undefined);
  });
});
