import { expect, fixture, html } from '@open-wc/testing';
import '../../src/define.js';
import type { WacrmNotificationBell } from '../../src/index.js';

describe('smoke', () => {
  it('renders a bell that says a client is missing', async () => {
    const el = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell></wacrm-notification-bell>`);
    await el.show();
    const panel = el.shadowRoot!.querySelector('wacrm-notification-panel')!;
    await (panel as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    const error = panel.shadowRoot!.querySelector('[part="error"]');
    expect(error?.textContent).to.contain('No Supabase client');
  });
});
