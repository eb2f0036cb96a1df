/** XML signing in NCALayer's layout (pki's signXml), and the check that a document parses before the user is asked. */
import { parseXml, signXml } from '@qoltanba/pki';
import type { UsableKey } from '../keystores/types.ts';

export interface XmlWork {
  tbsXPath?: string;
  parentXPath?: string;
  lineEnding: '\r\n' | '\n';
}

/** Throws QT_ERR_XML_MALFORMED (or QT_ERR_TOO_LARGE) for a document that cannot be signed at all. */
export function checkXml(xml: string): void {
  parseXml(xml);
}

export function signXmlWith(key: UsableKey, xml: string, work: XmlWork): Promise<string> {
  return signXml(xml, {
    signer: key.signer,
    certificate: key.certificate,
    tbsXPath: work.tbsXPath || undefined,
    parentXPath: work.parentXPath || undefined,
    lineEnding: work.lineEnding,
  });
}
