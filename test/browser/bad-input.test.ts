// What an integrator gets wrong first: no client, or something that is not a client. Each gives a
// visible, specific message and a wacrm-error event, and nothing throws.
import { aTimeout, expect, fixture, html, waitUntil } from '@open-wc/testing';
import 'wacrm-notifications/define';
import type { NotificationErrorEvent, WacrmNotificationBell, WacrmNotificationPanel } from 'wacrm-notifications';
import { nextEvent, panelOf, part, settle, text } from './support/dom.js';

/** Collects wacrm-error events and uncaught errors from the moment it is created. */
function watch() {
  const errors: NotificationErrorEvent[] = [];
  const uncaught: unknown[] = [];
  const onError = (event: NotificationErrorEvent) => errors.push(event);
  const onUncaught = (event: ErrorEvent) => uncaught.push(event.error ?? event.message);
  const onRejection = (event: PromiseRejectionEvent) => uncaught.push(event.reason);
  document.addEventListener('wacrm-error', onError);
  window.addEventListener('error', onUncaught);
  window.addEventListener('unhandledrejection', onRejection);
  return {
    errors,
    uncaught,
    stop() {
      document.removeEventListener('wacrm-error', onError);
      window.removeEventListener('error', onUncaught);
      window.removeEventListener('unhandledrejection', onRejection);
    },
  };
}

const session = { access_token: 'token', user: { id: 'user-me' } } as never;

/**
 * A missing client is reported once the page has had its chance to set one (a second after it
 * loaded, NO_CLIENT_GRACE_MS): first nothing, then exactly one `no-client`.
 */
async function reportedOnceAfterGrace(watcher: ReturnType<typeof watch>): Promise<void> {
  expect(watcher.errors, 'nothing reported while the page may still set a client').to.deep.equal([]);
  await waitUntil(() => watcher.errors.length > 0, 'no-client reported', { timeout: 4000 });
  await aTimeout(200);
  expect(watcher.errors.map((event) => event.error.code)).to.deep.equal(['no-client']);
}

describe('bad input', () => {
  it('a bell without a client says so and fires wacrm-error', async () => {
    const watcher = watch();
    try {
      const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .session=${session}></wacrm-notification-bell>`);
      await bell.show();
      await settle(bell, panelOf(bell));
      expect(part(panelOf(bell), 'loading'), 'waiting, not failing, at first').to.exist;
      await reportedOnceAfterGrace(watcher);
      await settle(bell, panelOf(bell));
      expect(text(part(panelOf(bell), 'error'))).to.contain('No Supabase client');
      expect(part(panelOf(bell), 'error')!.getAttribute('role')).to.equal('alert');
      expect(watcher.errors[0]!.target).to.equal(bell);
      expect(watcher.uncaught).to.deep.equal([]);
    } finally {
      watcher.stop();
    }
  });

  it('a panel used alone without a client says so and fires wacrm-error', async () => {
    const watcher = watch();
    try {
      const panel = await fixture<WacrmNotificationPanel>(html`<wacrm-notification-panel></wacrm-notification-panel>`);
      await settle(panel);
      await reportedOnceAfterGrace(watcher);
      await settle(panel);
      expect(text(part(panel, 'error'))).to.contain('No Supabase client');
      expect(part(panel, 'retry'), 'retrying cannot help').to.equal(null);
      expect(watcher.uncaught).to.deep.equal([]);
    } finally {
      watcher.stop();
    }
  });

  for (const [name, value] of [
    ['an empty object', {}],
    ['a URL string', 'https://project.supabase.co'],
    ['a half client (no rpc, no channel)', { from: () => undefined }],
  ] as const) {
    it(`${name} as .supabase gives the "not a Supabase client" message`, async () => {
      const watcher = watch();
      try {
        const bell = await fixture<WacrmNotificationBell>(
          html`<wacrm-notification-bell .supabase=${value} .session=${session}></wacrm-notification-bell>`,
        );
        await bell.show();
        await settle(bell, panelOf(bell));
        const message = text(part(panelOf(bell), 'error'));
        expect(message).to.contain('is not a Supabase client');
        expect(message).to.contain('createClient()');
        expect(watcher.errors.map((event) => event.error.code)).to.deep.equal(['invalid-client']);
        expect(watcher.uncaught).to.deep.equal([]);
      } finally {
        watcher.stop();
      }
    });
  }

  it('setting a wrong client after the fact replaces the message and reports it', async () => {
    const watcher = watch();
    try {
      const panel = await fixture<WacrmNotificationPanel>(html`<wacrm-notification-panel></wacrm-notification-panel>`);
      await settle(panel);
      const reported = nextEvent(panel, 'wacrm-error');
      panel.supabase = { not: 'a client' };
      expect((await reported).error.code).to.equal('invalid-client');
      await settle(panel);
      expect(text(part(panel, 'error'))).to.contain('is not a Supabase client');
      expect(watcher.uncaught).to.deep.equal([]);
    } finally {
      watcher.stop();
    }
  });

  it('a null session with no client still reports the missing client (the integrator’s first problem)', async () => {
    const watcher = watch();
    try {
      const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .session=${null}></wacrm-notification-bell>`);
      await bell.show();
      await reportedOnceAfterGrace(watcher);
      await settle(bell, panelOf(bell));
      expect(text(part(panelOf(bell), 'error'))).to.contain('No Supabase client');
      expect(watcher.uncaught).to.deep.equal([]);
    } finally {
      watcher.stop();
    }
  });
});
