import { css } from 'lit';

/**
 * Public `--wacrm-*` custom properties, read into private `--_*` ones on :host with fallbacks, so a
 * theme set on any ancestor applies; light and dark follow prefers-color-scheme unless overridden.
 */
export const themeStyles = css`
  :host {
    --_font: var(--wacrm-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    --_accent: var(--wacrm-accent-color, #2563eb);
    --_badge-bg: var(--wacrm-badge-background, #dc2626);
    --_badge-fg: var(--wacrm-badge-color, #ffffff);
    --_bg: var(--wacrm-background, #ffffff);
    --_fg: var(--wacrm-color, #111827);
    --_muted: var(--wacrm-muted-color, #4b5563);
    --_border: var(--wacrm-border-color, #d1d5db);
    --_unread-bg: var(--wacrm-unread-background, #eff6ff);
    --_hover-bg: var(--wacrm-hover-background, #f3f4f6);
    --_error: var(--wacrm-error-color, #b91c1c);
    --_radius: var(--wacrm-radius, 0.5rem);
    --_shadow: var(--wacrm-shadow, 0 10px 30px rgb(0 0 0 / 0.15));
    --_panel-width: var(--wacrm-panel-width, 24rem);
    --_panel-max-height: var(--wacrm-panel-max-height, 32rem);
    --_focus: var(--wacrm-focus-ring, 2px solid var(--_accent));
    --_duration: 150ms;
    font-family: var(--_font);
    color: var(--_fg);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_accent: var(--wacrm-accent-color, #93c5fd);
      --_badge-bg: var(--wacrm-badge-background, #f87171);
      --_badge-fg: var(--wacrm-badge-color, #111827);
      --_bg: var(--wacrm-background, #111827);
      --_fg: var(--wacrm-color, #f9fafb);
      --_muted: var(--wacrm-muted-color, #d1d5db);
      --_border: var(--wacrm-border-color, #374151);
      --_unread-bg: var(--wacrm-unread-background, #1e293b);
      --_hover-bg: var(--wacrm-hover-background, #1f2937);
      --_error: var(--wacrm-error-color, #fca5a5);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    :host {
      --_duration: 0ms;
    }
  }
  :host([hidden]) {
    display: none !important;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;
