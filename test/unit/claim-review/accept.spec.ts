import { prefersHtml } from '../../../src/claim-review/accept';

/** GET /claims/:id answers its errors as a page for a browser and as problem+json for an API client. */
describe('prefersHtml (Accept)', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['', true],
    ['*/*', true],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true], // a browser
    ['text/*', true],
    ['application/json', false],
    ['application/problem+json', false],
    ['application/json, text/html;q=0.5', false],
    ['text/html;q=0.5, application/json', false],
    ['application/json;q=0.4, text/html;q=0.9', true],
    ['text/html;q=0', false],
    ['image/png', false],
    ['application/*', false],
  ])('%s → HTML: %s', (accept, html) => {
    expect(prefersHtml(accept)).toBe(html);
  });
});
