/**
 * TEST SUPPORT ONLY: people in the population registry and the mobile-citizens registry, put there the way
 * operators do it — `population import` of a CSV with photo files, `registry import` of the БМГ export.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIin } from '@qoltanba/pki';
import { importMobileCitizensCsv } from '../../notify/mobile-citizens/index.ts';
import { importPopulationCsv, type PersonStatus } from '../../population/index.ts';
import type { Store } from '../../store/index.ts';
import { drawFace, encodePng, type FaceParams } from './faces.ts';

export interface TestPerson {
  iin: string;
  surname: string;
  name: string;
  patronymic?: string;
  status?: PersonStatus;
  documentNumber: string;
  issuedOn: string;
  expiresOn: string;
  /** Drawn as the registry's reference photo. */
  face?: FaceParams;
}

export function birthDateOf(iin: string): string {
  const p = parseIin(iin);
  if (p.test) throw new Error('a real IIN is needed');
  return p.birthDate;
}

export async function importPeople(store: Store, people: TestPerson[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qt-gbdfl-'));
  try {
    const rows = ['iin,surname,name,patronymic,birth_date,status,document_type,document_number,document_issued,document_expires,photo'];
    for (const p of people) {
      let photo = '';
      if (p.face) {
        photo = `photos/${p.iin}.png`;
        mkdirSync(join(dir, 'photos'), { recursive: true });
        writeFileSync(join(dir, photo), encodePng(drawFace(p.face, { seed: 999 })));
      }
      rows.push([p.iin, p.surname, p.name, p.patronymic ?? '', birthDateOf(p.iin), p.status ?? 'alive', 'id_card', p.documentNumber, p.issuedOn, p.expiresOn, photo].join(','));
    }
    writeFileSync(join(dir, 'gbdfl.csv'), rows.join('\n') + '\n');
    await importPopulationCsv(store.db, join(dir, 'gbdfl.csv'), { source: 'test', actor: 'operator:test' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The БМГ export, for people who may have no certificate (and so no subjects row) yet. */
export async function registerMobile(store: Store, entries: { iin: string; phone: string; verified?: boolean }[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qt-bmg-'));
  try {
    const file = join(dir, 'bmg.csv');
    writeFileSync(file, ['iin,phone,verified', ...entries.map((e) => `${e.iin},${e.phone},${e.verified === false ? 'no' : 'yes'}`)].join('\n') + '\n');
    await importMobileCitizensCsv(store.db, file, { source: 'test', actor: 'operator:test', allowUnknownIin: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
