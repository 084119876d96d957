// Vue 3 and the elements: tell Vue's template compiler that `wacrm-*` tags are custom elements
// (`compilerOptions.isCustomElement`), bind objects as properties with `.prop` (Vue would pick a
// property anyway when the element has it; `.prop` says so), and listen with `@wacrm-…`. Keep the
// client out of Vue's deep reactivity (`markRaw` or a `shallowRef`): a proxied client breaks its
// private fields. Templates need Vue's full build (the compiler), as with an import map to
// `vue/dist/vue.esm-browser.js`, or a build step (SFCs). Run in the browser suite by
// test/browser/frameworks.test.ts.
import { createApp, defineComponent, markRaw, type App, type PropType } from 'vue';
import type { Session, SupabaseClient } from '@supabase/supabase-js';
import 'wacrm-notifications/define';

export const InboxHeader = defineComponent({
  props: {
    supabase: { type: Object as PropType<SupabaseClient>, required: true },
    session: { type: Object as PropType<Session | null>, default: null },
  },
  emits: { unread: (count: number) => Number.isInteger(count) },
  template: `
    <header class="inbox-header">
      <h1>Inbox</h1>
      <wacrm-notification-bell
        :supabase.prop="supabase"
        :session.prop="session"
        href-template="/inbox?c={conversation_id}"
        @wacrm-unread-change="$emit('unread', $event.unreadCount)"
      ></wacrm-notification-bell>
    </header>`,
});

export interface InboxHeaderProps {
  supabase: SupabaseClient;
  session: Session | null;
  onUnread?: (count: number) => void;
}

export function mountInboxHeader(container: Element, { supabase, session, onUnread }: InboxHeaderProps): App {
  const app = createApp(InboxHeader, { supabase: markRaw(supabase), session, onUnread });
  app.config.compilerOptions.isCustomElement = (tag) => tag.startsWith('wacrm-');
  app.mount(container);
  return app;
}
