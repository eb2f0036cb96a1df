import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element, Node } from '@xmldom/xmldom';
import { canonicalize } from './c14n.ts';
import { elementsInOrder, parseXml, XMLDSIG_NS } from './dom.ts';
import { run, scratchDir, type ScratchDir } from '../cms/testing/helpers.ts';

let tmp: ScratchDir;
before(() => {
  tmp = scratchDir();
});
after(() => tmp.done());

/** Documents that exercise each c14n rule: prolog/epilog, ordering, escaping, namespace (un)declarations. */
const documents: Record<string, string> = {
  'W3C §3.1 PIs and comments around the root': `<?xml version="1.0"?>\n\n<?xml-stylesheet   href="doc.xsl"\n   type="text/xsl"   ?>\n\n<!-- Comment 1 -->\n<doc>Hello, world!<!-- Comment 2 --></doc>\n\n<?pi-without-data     ?>\n\n<!-- Comment 3 -->\n`,
  'W3C §3.2 whitespace in content': `<doc>\n   <clean>   </clean>\n   <dirty>   A   B   </dirty>\n   <mixed>\n      A\n      <clean>   </clean>\n      B\n      <dirty>   A   B   </dirty>\n      C\n   </mixed>\n</doc>`,
  'W3C §3.3 tags, attribute order, namespaces': `<!DOCTYPE-free><doc>\n   <e1   />\n   <e2   ></e2>\n   <e3   name = "elem3"   id="elem3"   />\n   <e4   name="elem4"   id="elem4"   ></e4>\n   <e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm"\n      xmlns:b="http://www.ietf.org"\n      xmlns:a="http://www.w3.org"\n      xmlns="http://example.org"/>\n   <e6 xmlns="" xmlns:a="http://www.w3.org">\n      <e7 xmlns="http://www.ietf.org">\n         <e8 xmlns="" xmlns:a="http://www.w3.org">\n            <e9 xmlns="" xmlns:a="http://www.ietf.org"/>\n         </e8>\n      </e7>\n   </e6>\n</doc>`.replace('<!DOCTYPE-free>', ''),
  'W3C §3.4 character modifications (no DTD)': `<doc>\n   <text>First line&#x0d;&#10;Second line</text>\n   <value>&#x32;</value>\n   <compute><![CDATA[value>"0" && value<"10" ?"valid":"error"]]></compute>\n   <compute expr='value>"0" &amp;&amp; value&lt;"10" ?"valid":"error"'>valid</compute>\n   <norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>\n</doc>`,
  'Kazakh text, default namespace, xml:lang, xmlns="" under a default': `<?xml version="1.0" encoding="UTF-8"?><Өтініш xmlns="urn:qoltanba:a" xmlns:b="urn:qoltanba:b" b:z="1" a="2" xml:lang="kk"><e1 /><b:e4 xmlns="" b:attr="x" attr="y"><e5 xmlns="urn:qoltanba:a"/></b:e4><e6 xmlns:a="urn:w3" xmlns:b="urn:qoltanba:b"><e7 a:attr="out" xmlns:a="urn:ietf"/></e6>\n<text>Қолтаңба &amp; &lt;tag&gt; "q" 'a' &#13; tab&#9;here ]]&gt; <![CDATA[<cdata> & stuff]]></text><attr v="&#9;&#10;&#13; &quot;&lt;&gt;&amp;'"/><?pi-inside   some data?><!-- inner --></Өтініш>\n<!-- after -->`,
};

for (const [name, xml] of Object.entries(documents)) {
  test(`inclusive and exclusive c14n (with comments) equal xmllint's: ${name}`, () => {
    const file = tmp.write('doc.xml', xml);
    const doc = parseXml(xml);
    for (const [flag, exclusive] of [['--c14n', false], ['--exc-c14n', true]] as const) {
      const expected = run('xmllint', [flag, file]);
      assert.equal(expected.status, 0, expected.stderr);
      assert.equal(canonicalize(doc, { withComments: true, exclusive }), expected.stdout, `${flag}`);
    }
  });
}

test('without comments, comments vanish together with the line feeds that set them apart from the root', () => {
  const doc = parseXml('<!-- a --><?pi x?><root><!-- in -->t</root><!-- z -->');
  assert.equal(canonicalize(doc, { withComments: false }), '<?pi x?>\n<root>t</root>');
});

test('an element subtree carries its inherited namespaces and xml:* attributes on the apex (inclusive), only used ones (exclusive)', () => {
  const doc = parseXml('<r xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q" xml:lang="ru" xml:space="preserve"><a xml:lang="kk"><p:b q:x="1">t</p:b></a></r>');
  const b = elementsInOrder(doc).find((e) => e.localName === 'b') as Element;
  assert.equal(
    canonicalize(b, { withComments: false }),
    // Attributes sort by namespace URI: http://www.w3.org/XML/1998/namespace before urn:q.
    '<p:b xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q" xml:lang="kk" xml:space="preserve" q:x="1">t</p:b>',
  );
  assert.equal(canonicalize(b, { withComments: false, exclusive: true }), '<p:b xmlns:p="urn:p" xmlns:q="urn:q" q:x="1">t</p:b>');
  assert.equal(
    canonicalize(b, { withComments: false, exclusive: true, inclusivePrefixes: ['#default'] }),
    '<p:b xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:q" q:x="1">t</p:b>',
  );
});

test('an excluded subtree (the enveloped signature) leaves no trace, wherever it sits', () => {
  const xml = `<root><a>1</a><deep><ds:Signature xmlns:ds="${XMLDSIG_NS}"><ds:SignedInfo/></ds:Signature></deep><b>2</b></root>`;
  const doc = parseXml(xml);
  const signature = elementsInOrder(doc).find((e) => e.localName === 'Signature') as Node;
  assert.equal(canonicalize(doc, { withComments: false, exclude: (n) => n === signature }), '<root><a>1</a><deep></deep><b>2</b></root>');
});
