/**
 * The demo's made-up people. Their IINs are NCA-style test numbers — 123456…, whose "birth date" has month 34,
 * so they fail the IIN check and can never be a real person's; only a test-mode installation (the demo's)
 * accepts them. Names start with ДЕМО/ОПЕРАТОР so that nobody mistakes a screenshot for real data.
 */
import type { FaceParams } from './faces.ts';

export interface DemoPerson {
  iin: string;
  surname: string;
  name: string;
  patronymic?: string;
  birthDate: string;
  /** In the mobile-citizens registry (БМГ); absent: not registered (the remote page explains what to do). */
  phone?: string;
  document: { number: string; issued: string; expires: string };
  face: FaceParams;
}

const face = (skin: [number, number, number], hair: [number, number, number], background: [number, number, number], faceW: number, glasses = false): FaceParams => ({
  background,
  skin,
  hair,
  faceW,
  faceH: 0.31,
  eyeGap: 0.45,
  glasses,
});

/** Has AUTH and SIGN key files: logs in, sees «Мои ключи ЭЦП», re-issues. */
export const DEMO_CITIZEN: DemoPerson = {
  iin: '123456789011',
  surname: 'ДЕМОВА',
  name: 'АЙГЕРИМ',
  patronymic: 'СЕРІКҚЫЗЫ',
  birthDate: '1990-05-17',
  phone: '+77015550101',
  document: { number: '045678901', issued: '2020-06-01', expires: '2030-05-31' },
  face: face([224, 182, 150], [40, 28, 20], [70, 110, 150], 0.24),
};

/** Has no keys yet: gets them by remote first issuance, approved by the operator. */
export const DEMO_APPLICANT: DemoPerson = {
  iin: '123456789022',
  surname: 'ДЕМОВ',
  name: 'БОЛАТ',
  patronymic: 'ЕРЛАНҰЛЫ',
  birthDate: '1985-11-02',
  phone: '+77015550102',
  document: { number: '012345678', issued: '2021-03-15', expires: '2031-03-14' },
  face: face([198, 150, 118], [25, 20, 18], [120, 140, 110], 0.27),
};

/** The RA operator who approves face checks in /operator. */
export const DEMO_OPERATOR: DemoPerson = {
  iin: '123456789033',
  surname: 'ОПЕРАТОРОВ',
  name: 'САМАТ',
  birthDate: '1982-01-20',
  phone: '+77015550103',
  document: { number: '034567890', issued: '2019-09-10', expires: '2029-09-09' },
  face: face([210, 165, 130], [60, 45, 30], [150, 150, 170], 0.26, true),
};

/** Two more people in the registries: one with a phone, one without (the "no phone" refusal). */
export const DEMO_OTHERS: DemoPerson[] = [
  {
    iin: '123456789044',
    surname: 'ДЕМОВА',
    name: 'ДАНА',
    birthDate: '1995-08-30',
    phone: '+77475550104',
    document: { number: '056789012', issued: '2022-01-20', expires: '2032-01-19' },
    face: face([230, 190, 160], [90, 60, 30], [170, 120, 120], 0.23),
  },
  {
    iin: '123456789055',
    surname: 'ДЕМОВ',
    name: 'ЕРЖАН',
    birthDate: '1978-03-03',
    document: { number: '067890123', issued: '2018-04-04', expires: '2028-04-03' },
    face: face([180, 135, 100], [30, 30, 30], [100, 100, 140], 0.3),
  },
];

export const DEMO_PEOPLE: DemoPerson[] = [DEMO_CITIZEN, DEMO_APPLICANT, DEMO_OPERATOR, ...DEMO_OTHERS];

export function fullName(p: DemoPerson): string {
  return [p.surname, p.name, p.patronymic].filter(Boolean).join(' ');
}
