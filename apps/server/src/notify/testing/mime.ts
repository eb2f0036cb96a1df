/**
 * Just enough MIME reading for tests to check what an SMTP server actually received: headers (RFC 2047
 * encoded words), multipart/alternative, base64 and quoted-printable bodies, UTF-8. Independent of nodemailer,
 * so a wrong encoding on the sending side shows up as a wrong text here.
 */
export interface MimePart {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
  readonly parts: readonly MimePart[];
}

function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(qpBytes(text.replace(/_/g, ' '))).toString('utf8'),
    );
}

function qpBytes(text: string): number[] {
  const out: number[] = [];
  const raw = Buffer.from(text.replace(/=\r?\n/g, ''), 'latin1');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x3d && /^[0-9A-Fa-f]{2}$/.test(raw.subarray(i + 1, i + 3).toString('latin1'))) {
      out.push(parseInt(raw.subarray(i + 1, i + 3).toString('latin1'), 16));
      i += 2;
    } else out.push(raw[i]!);
  }
  return out;
}

export function parseMime(raw: string): MimePart {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const rest = split < 0 ? '' : raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    const chunks = rest.split(`--${boundary}`).slice(1);
    const parts = chunks.filter((c) => !c.startsWith('--')).map((c) => parseMime(c.replace(/^\r\n/, '').replace(/\r\n$/, '')));
    return { headers, body: '', parts };
  }
  const cte = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const body =
    cte === 'base64'
      ? Buffer.from(rest.replace(/\s+/g, ''), 'base64').toString('utf8')
      : cte === 'quoted-printable'
        ? Buffer.from(qpBytes(rest)).toString('utf8')
        : Buffer.from(rest, 'latin1').toString('utf8');
  return { headers, body, parts: [] };
}

/** The decoded body of the first part whose content type starts with `type` (text/plain, text/html). */
export function bodyOf(part: MimePart, type: string): string | undefined {
  if (part.parts.length === 0) return (part.headers.get('content-type') ?? 'text/plain').toLowerCase().startsWith(type) ? part.body : undefined;
  for (const p of part.parts) {
    const found = bodyOf(p, type);
    if (found !== undefined) return found;
  }
  return undefined;
}
