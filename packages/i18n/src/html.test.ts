import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html, Html } from './html.ts';

test('every interpolated value is escaped, in text and in attributes, unless it is Html made by the tag', () => {
  const name = `<script>alert("x")</script> & 'Ә'`;
  assert.equal(escapeHtml(name), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Ә&#39;');
  const page = html`<p title="${name}">${name}</p>${html`<b>${'<i>'}</b>`}`;
  assert.ok(page instanceof Html);
  assert.equal(page.value, `<p title="${escapeHtml(name)}">${escapeHtml(name)}</p><b>&lt;i&gt;</b>`);
  assert.equal(html`${new Html('<br>')}`.value, '<br>', 'Html is inserted as it is');
});

test('lists are joined; null, undefined and both booleans render as nothing; numbers as text', () => {
  const ok = true;
  const items = ['a<', 'b'].map((x) => html`<li>${x}</li>`);
  assert.equal(html`<ul>${items}</ul>`.value, '<ul><li>a&lt;</li><li>b</li></ul>');
  assert.equal(html`[${null}${undefined}${false}${true}${ok && html`<em>shown</em>`}${ok || 'hidden'}]`.value, '[<em>shown</em>]');
  assert.equal(html`${0} ${-1.5}`.value, '0 -1.5');
});
