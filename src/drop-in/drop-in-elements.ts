// The two elements with the pure-HTML drop-in (see supabase-drop-in.ts): the same classes, plus
// three attributes, added by one mixin. Registered under the usual tag names by the all-in-one
// build only.
import type { LitElement } from 'lit';
import { property } from 'lit/decorators.js';
import type { Session } from '@supabase/supabase-js';
import { WacrmNotificationBell } from '../bell/notification-bell.js';
import { WacrmNotificationPanel } from '../panel/notification-panel.js';
import { SupabaseDropIn } from './supabase-drop-in.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the TypeScript mixin pattern requires any[]
type ElementClass = abstract new (...args: any[]) => LitElement & { supabase: unknown; session: Session | null | undefined };

/** The attributes the mixin adds (the explicit type keeps the emitted declarations simple). */
export interface SupabaseAttributes {
  supabaseUrl: string | undefined;
  supabaseKey: string | undefined;
  supabaseStorageKey: string | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the TypeScript mixin pattern requires any[]
type WithAttributes<Base extends ElementClass> = Base & (abstract new (...args: any[]) => SupabaseAttributes);

/** Adds `supabase-url`, `supabase-key` and `supabase-storage-key` to an element that takes a client and session. */
function WithSupabaseAttributes<Base extends ElementClass>(base: Base): WithAttributes<Base> {
  abstract class DropInElement extends base {
    /** The project URL (`https://<project-ref>.supabase.co`): with `supabase-key`, the element makes its own client. */
    @property({ attribute: 'supabase-url' }) supabaseUrl: string | undefined;

    /** The project's anon (publishable) key. */
    @property({ attribute: 'supabase-key' }) supabaseKey: string | undefined;

    /** Where the host's supabase-js keeps its session, when it set `auth.storageKey` (default `sb-<project-ref>-auth-token`). */
    @property({ attribute: 'supabase-storage-key' }) supabaseStorageKey: string | undefined;

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's constructor passes on the base's arguments
    constructor(...args: any[]) {
      // Passed on unread: the base (any[] too, by the mixin pattern) takes them as they are.
      super(...(args as unknown[]));
      new SupabaseDropIn(this);
    }
  }
  return DropInElement;
}

/**
 * <wacrm-notification-bell> of the all-in-one build: give it `supabase-url` and `supabase-key` and
 * it makes its own client and follows the session the host app keeps on this origin.
 *
 * @summary The notification bell, with a client of its own from attributes.
 */
export class WacrmDropInNotificationBell extends WithSupabaseAttributes(WacrmNotificationBell) {}

/**
 * <wacrm-notification-panel> of the all-in-one build; the attributes matter only when the panel is
 * used alone (inside a bell it shows the bell's store).
 *
 * @summary The notification list, with a client of its own from attributes.
 */
export class WacrmDropInNotificationPanel extends WithSupabaseAttributes(WacrmNotificationPanel) {}
