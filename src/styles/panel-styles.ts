import { css } from 'lit';

export const panelStyles = css`
  :host {
    display: block;
    background: var(--_bg);
    color: var(--_fg);
  }
  [part='base'] {
    display: flex;
    flex-direction: column;
    max-height: inherit;
    min-height: 0;
  }
  [part='header'] {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
    padding: 0.75rem 1rem;
    border-bottom: 1px solid var(--_border);
  }
  [part='heading'] {
    flex: 1;
    margin: 0;
    font-size: 1rem;
    font-weight: 600;
  }
  [part='filter'] {
    display: inline-flex;
    border: 1px solid var(--_border);
    border-radius: 999px;
    overflow: hidden;
  }
  [part~='filter-option'] {
    font: inherit;
    font-size: 0.8125rem;
    padding: 0.25rem 0.75rem;
    border: 0;
    background: transparent;
    color: var(--_fg);
    cursor: pointer;
  }
  [part~='filter-option'][aria-pressed='true'] {
    background: var(--_accent);
    color: var(--_bg);
  }
  [part='mark-all'],
  [part='archive-read'],
  [part='back'] {
    font: inherit;
    font-size: 0.8125rem;
    border: 0;
    background: transparent;
    color: var(--_accent);
    cursor: pointer;
    padding: 0.25rem;
    text-decoration: underline;
  }
  [part='mark-all']:disabled,
  [part='archive-read']:disabled {
    color: var(--_muted);
    cursor: default;
    text-decoration: none;
  }
  [part='list'] {
    /* Holds the rows' visually hidden text, which would otherwise overflow whatever holds the list. */
    position: relative;
    list-style: none;
    margin: 0;
    padding: 0;
    overflow-y: auto;
    overscroll-behavior: contain;
    flex: 1;
    min-height: 0;
  }
  /*
   * A long list opens fast: rows out of view skip style and layout until scrolled near. The last
   * rows (a page and the sentinel) are always laid out, so the sentinel sits where it truly is and
   * a scroll to the end loads exactly one more page.
   */
  [part='list'] > li:nth-last-child(n + 32) {
    content-visibility: auto;
    contain-intrinsic-size: auto 5rem;
  }
  [part='row'] {
    position: relative;
  }
  /* A row's archive (or restore) button, in the corner of the notification it acts on. */
  .action,
  [part='settings-button'] {
    display: inline-grid;
    place-items: center;
    padding: 0.25rem;
    border: 0;
    border-radius: var(--_radius);
    background: transparent;
    color: var(--_muted);
    cursor: pointer;
  }
  .action {
    position: absolute;
    top: 0.5rem;
    inset-inline-end: 0.5rem;
  }
  .action:hover,
  [part='settings-button']:hover {
    color: var(--_fg);
    background: var(--_hover-bg);
  }
  [part='settings'] {
    padding: 0.75rem 1rem;
  }
  [part='settings'] h3 {
    margin: 0 0 0.5rem;
    font-size: 0.875rem;
  }
  [part='settings'] ul {
    list-style: none;
    margin: 0 0 0.75rem;
    padding: 0;
  }
  [part='preference'] {
    display: flex;
    gap: 0.5rem;
    align-items: center;
    padding: 0.375rem 0;
    font-size: 0.875rem;
    cursor: pointer;
  }
  [part='preference'] input {
    accent-color: var(--_accent);
  }
  [part~='item'] {
    display: grid;
    grid-template-columns: 0.5rem 1fr;
    gap: 0.125rem 0.75rem;
    width: 100%;
    text-align: start;
    font: inherit;
    color: inherit;
    background: transparent;
    border: 0;
    border-bottom: 1px solid var(--_border);
    padding: 0.75rem 2.75rem 0.75rem 1rem;
    cursor: pointer;
    transition: background-color var(--_duration) ease;
  }
  [part~='item']:hover {
    background: var(--_hover-bg);
  }
  [part~='item--unread'] {
    background: var(--_unread-bg);
  }
  .dot {
    grid-row: 1 / span 3;
    align-self: start;
    margin-top: 0.4rem;
    width: 0.5rem;
    height: 0.5rem;
    border-radius: 50%;
  }
  [part~='item--unread'] .dot {
    background: var(--_accent);
  }
  [part='title'] {
    font-weight: 600;
    font-size: 0.875rem;
  }
  [part='body'] {
    font-size: 0.875rem;
    color: var(--_muted);
    overflow-wrap: anywhere;
  }
  [part='time'] {
    font-size: 0.75rem;
    color: var(--_muted);
  }
  [part='empty'],
  [part='loading'],
  [part='error'],
  [part='signed-out'] {
    display: block;
    padding: 2rem 1rem;
    text-align: center;
    color: var(--_muted);
    font-size: 0.875rem;
  }
  [part='error'] {
    color: var(--_error);
  }
  [part='retry'] {
    font: inherit;
    margin-top: 0.5rem;
    border: 1px solid currentColor;
    background: transparent;
    color: inherit;
    border-radius: var(--_radius);
    padding: 0.25rem 0.75rem;
    cursor: pointer;
  }
  .sentinel {
    height: 1px;
  }
  button:focus-visible {
    outline: var(--_focus);
    outline-offset: -2px;
  }
`;
