import { createHash } from 'node:crypto';
import type { ClaimView } from '../claims/claim-view';
import type { ClaimReview } from './claim-review.schema';

/*
 * GET /claims/:id: the claim's public page, rendered on the server and readable without
 * JavaScript, with its ClaimReview embedded as <script type="application/ld+json"> (how fact-check
 * markup is read). Hand-written templates: one page of a few sections, where every value goes
 * through `text()` or `attr()`.
 */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * JSON for an inline <script type="application/ld+json">: `<` (and `>`, `&`, U+2028/9) as
 * \u escapes, so a claim text holding `</script>` or `<!--` cannot end the element early. The
 * JSON means the same after JSON.parse.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:46rem;margin:0 auto;padding:1.5rem 1rem 3rem}
blockquote{margin:0;padding:1rem 1.25rem;background:#fff;border-left:4px solid #4a5a78;font-size:1.2rem}
section{margin-top:1.75rem}
h1{font-size:1rem;font-weight:600;color:#4a5a78;text-transform:uppercase;letter-spacing:.05em}
h2{font-size:1.15rem;margin-bottom:.4rem}
.status{display:inline-block;padding:.05rem .5rem;border-radius:.3rem;background:#e3e7ef;font-weight:600}
.status-confirmed,.status-supported{background:#d9f2e0}
.status-refuted,.status-contradicted{background:#f8dcdc}
.status-disputed{background:#fdf0cf}
.evidence li{background:#fff;margin:.5rem 0;padding:.6rem .8rem;border-radius:.3rem}
.muted{color:#5b6475;font-size:.9rem}
code{font-size:.85rem;word-break:break-all}
dt{font-weight:600;margin-top:.4rem}
dd{margin-left:0}
`;

/** The page's only style, allowed by its hash: the CSP has no 'unsafe-inline'. */
const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;

/**
 * As strict as the dashboard's: no script runs at all (the ld+json block is data), no connection,
 * no frame, no form, no base; the one inline style by hash.
 */
export const CLAIM_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'none'",
  `style-src '${STYLE_HASH}'`,
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const text = escapeHtml;
const attr = escapeHtml;

/** A link to an http(s) URL (the API accepts no others); anything else as plain text. */
function link(url: string | undefined, label: string): string {
  if (!url || !/^https?:\/\//i.test(url)) return text(label);
  return `<a href="${attr(url)}" rel="nofollow noopener noreferrer">${text(label)}</a>`;
}

function time(iso: string | undefined): string {
  return iso ? `<time datetime="${attr(iso)}">${text(iso)}</time>` : '';
}

function shell(title: string, pageUrl: string | null, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${text(title)}</title>
${pageUrl ? `<link rel="canonical" href="${attr(pageUrl)}">\n` : ''}<style>${STYLE}</style>
${head}</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface ClaimPageInput {
  view: ClaimView;
  /** The ClaimReview, embedded as ld+json; null while there is none (`notRated` says why). */
  review: ClaimReview | null;
  notRated: string | null;
  pageUrl: string;
  reviewJsonUrl: string;
  orgName: string;
  orgUrl: string;
}

/** The claim's public page. */
export function renderClaimPage(p: ClaimPageInput): string {
  const { view, review } = p;
  const speaker = [view.speaker.name, view.speaker.affiliation].filter(Boolean).join(', ');
  const source = view.source.publisher ?? view.source.url;
  const head = review
    ? `<link rel="alternate" type="application/ld+json" href="${attr(p.reviewJsonUrl)}">\n<script type="application/ld+json">${jsonForScript(review)}</script>\n`
    : '';

  const published = view.publishedReview;
  const reviewPart = published
    ? `<p>Editor's rating: <strong>${text(published.rating)}</strong>, published ${time(published.publishedAt)} (proposed by ${text(published.proposedBy)}, approved by ${text(published.approvedBy)}).</p>
<p>${text(published.explanation)}</p>${view.reviewOutdated ? '\n<p class="muted">The claim has changed since this review was written.</p>' : ''}`
    : '';
  const v = view.verdict;
  const reasons = `<p id="reasons">Weight of evidence: support ${text(v.support)}, contradiction ${text(v.contradict)} (rule ${text(v.rule)})${v.reason ? `: ${text(v.reason)}` : ''}.${
    v.basis.length ? ` Based on evidence ${v.basis.map((id) => `<a href="#evidence-${attr(id)}">${text(id.slice(0, 8))}</a>`).join(', ')}.` : ''
  }</p>`;
  const history = view.statusHistory.length
    ? `<h3>Status history</h3>\n<ol>${view.statusHistory.map((h) => `<li>${text(h.status)} at ${time(h.at)} (event #${text(h.position)})</li>`).join('')}</ol>`
    : '';

  const evidence = view.evidence.length
    ? `<ol class="evidence">${view.evidence
        .map(
          (e) => `<li id="evidence-${attr(e.evidenceId)}"><p class="muted">${text(e.stance)} · source ${text(e.reliability)}${text(e.credibility)} · observed ${time(e.observedAt)} · attached by ${text(e.attachedBy)}${e.retracted ? ' · <strong>retracted</strong>' : ''}${e.attached === false ? ' · <strong>detached</strong>' : ''}</p>
<p>${text(e.summary)}</p>
<p>${link(e.source.url, e.source.publisher ?? e.source.url)}</p></li>`,
        )
        .join('\n')}</ol>`
    : '<p>No evidence yet.</p>';

  const t = review?.transparency;
  const lg = review?.claimLedger;
  const proof = t
    ? `<dl>
<dt>Verdict event</dt><dd id="proof-position">#${text(t.position)} (${text(t.eventType)})</dd>
<dt>Event hash</dt><dd><code id="proof-hash">${text(t.eventHash)}</code></dd>
<dt>Signed checkpoint</dt><dd id="proof-checkpoint">${
        t.checkpoint ? `tree size ${text(t.checkpoint.size)}, root <code>${text(t.checkpoint.rootHash)}</code> (${text(t.checkpoint.origin)})` : 'none covers it yet'
      }</dd>
<dt>Inclusion proof</dt><dd>${link(t.proof, t.proof)}</dd>
<dt>Log key</dt><dd><code>${text(t.vkey)}</code></dd>${
        lg && lg.eventType !== t.eventType ? `\n<dt>Published review</dt><dd>#${text(lg.position)} (${text(lg.eventType)}), hash <code>${text(lg.hash)}</code></dd>` : ''
      }
</dl>`
    : `<p>${text(p.notRated ?? 'No verdict has been recorded yet.')}</p>`;
  const headOf = view.head ? `<p class="muted">This claim's latest event: #${text(view.head.position)}, version ${text(view.version)}, hash <code>${text(view.head.hash)}</code>.</p>` : '';

  const body = `<h1>${view.kind === 'pledge' ? 'Pledge' : 'Claim'} · fact check</h1>
<blockquote id="statement"><p>${text(view.statement)}</p></blockquote>
<p id="speaker">${text(speaker)}, ${time(view.madeAt)}, ${link(view.source.url, source)}</p>
<section id="status">
<h2>Status: <span class="status status-${attr(view.status)}">${text(view.status)}</span></h2>
${reviewPart}
${reasons}
${history}
</section>
<section>
<h2>Evidence (${view.evidence.length})</h2>
${evidence}
</section>
<section id="proof">
<h2>Proof in the ledger</h2>
${proof}
${headOf}
</section>
<footer class="muted"><p>Published by ${link(p.orgUrl, p.orgName)}. ${review ? `Machine-readable: ${link(p.reviewJsonUrl, 'schema.org ClaimReview (JSON-LD)')}.` : ''}</p></footer>`;
  const title = `${view.statement.length > 80 ? `${[...view.statement].slice(0, 80).join('')}…` : view.statement} — ${p.orgName}`;
  return shell(title, p.pageUrl, head, body);
}

/** An error page (400, 404) for a browser; API clients get problem+json (see the controller). */
export function renderErrorPage(status: number, title: string, detail: string): string {
  return shell(`${status} ${title}`, null, '', `<h1>${text(status)} ${text(title)}</h1>\n<p id="detail">${text(detail)}</p>`);
}
