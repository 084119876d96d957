import { css } from 'lit';

export const bellStyles = css`
  :host {
    display: inline-block;
    position: relative;
  }
  [part='button'] {
    position: relative;
    display: inline-grid;
    place-items: center;
    width: 2.5rem;
    height: 2.5rem;
    border: 0;
    border-radius: 50%;
    background: transparent;
    color: inherit;
    cursor: pointer;
    transition: background-color var(--_duration) ease;
  }
  [part='button']:hover {
    background: var(--_hover-bg);
  }
  [part='button']:focus-visible {
    outline: var(--_focus);
    outline-offset: 2px;
  }
  svg {
    width: 1.5rem;
    height: 1.5rem;
  }
  [part='badge'] {
    position: absolute;
    top: 0.125rem;
    inset-inline-end: 0.125rem;
    min-width: 1.125rem;
    height: 1.125rem;
    padding: 0 0.25rem;
    box-sizing: border-box;
    border-radius: 999px;
    background: var(--_badge-bg);
    color: var(--_badge-fg);
    font-size: 0.6875rem;
    font-weight: 700;
    line-height: 1.125rem;
    text-align: center;
  }
  [part='popover'] {
    position: fixed;
    inset: auto;
    margin: 0;
    padding: 0;
    width: min(var(--_panel-width), calc(100vw - 16px));
    /* --_available-height: the room on its side of the bell, set by PopoverController while open. */
    max-height: min(var(--_panel-max-height), calc(100vh - 16px), var(--_available-height, 100vh));
    box-sizing: border-box;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_fg);
    box-shadow: var(--_shadow);
    overflow: hidden;
    /* Clipped, never scrolled (focusing a row must not scroll the header away): the list scrolls. */
    overflow: clip;
  }
  [part='popover']:not(:popover-open) {
    display: none;
  }
  [part='popover']:popover-open {
    display: flex;
    flex-direction: column;
  }
  ::slotted(wacrm-notification-panel),
  wacrm-notification-panel {
    max-height: inherit;
    min-height: 0;
    display: flex;
    flex-direction: column;
  }
`;
