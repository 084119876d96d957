// React 19 and the elements: React 19 sets a custom element's properties when the element has
// them (so `supabase` and `session` reach `.supabase` and `.session`, objects and all) and turns
// `on<event-name>` props into listeners for that exact event name. Import the registering entry
// once, before rendering, so that React sees the properties. Run in the browser suite by
// test/browser/frameworks.test.ts.
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import type { Session, SupabaseClient } from '@supabase/supabase-js';
import 'wacrm-notifications/define';
import type { NotificationSelectEvent, UnreadChangeEvent, WacrmNotificationBell } from 'wacrm-notifications';

// The element's attributes, properties and events, for TSX.
declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'wacrm-notification-bell': DetailedHTMLProps<HTMLAttributes<WacrmNotificationBell>, WacrmNotificationBell> & {
        supabase?: SupabaseClient | null;
        session?: Session | null;
        'href-template'?: string;
        'max-count'?: number;
        'onwacrm-unread-change'?: (event: UnreadChangeEvent) => void;
        'onwacrm-notification-select'?: (event: NotificationSelectEvent) => void;
      };
    }
  }
}

export interface InboxHeaderProps {
  supabase: SupabaseClient;
  session: Session | null;
  onUnreadChange?: (count: number) => void;
}

export function InboxHeader({ supabase, session, onUnreadChange }: InboxHeaderProps) {
  return (
    <header className="inbox-header">
      <h1>Inbox</h1>
      <wacrm-notification-bell
        supabase={supabase}
        session={session}
        href-template="/inbox?c={conversation_id}"
        onwacrm-unread-change={(event) => onUnreadChange?.(event.unreadCount)}
      />
    </header>
  );
}

/** Renders the header into `container`; pass new props with `root.render()` when the session changes. */
export function mountInboxHeader(container: Element, props: InboxHeaderProps): Root {
  const root = createRoot(container);
  root.render(<InboxHeader {...props} />);
  return root;
}
