// @open-wc/semantic-dom-diff declares every chai `equal` as returning a promise (it is one only for
// its `.dom` / `.shadowDom` comparisons, which these tests do not use), so the linter would take each
// `expect(x).to.equal(y)` for a floating promise. Declared after its declarations (imported here for
// that), these signatures come first: a plain assertion returns an Assertion, as it does at run time.
import type {} from '@open-wc/semantic-dom-diff/chai-dom-diff-plugin.js';

declare global {
  namespace Chai {
    interface Equal {
      (value: unknown, message?: string): Assertion;
    }
  }
}
