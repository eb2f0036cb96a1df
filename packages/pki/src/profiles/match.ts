/** Which of our profiles a certificate fits, from the facts inspection reads off it. */
import { profiles, identificationOids, type KeyUsageName, type ProfileName } from './profiles.ts';

export interface ProfileFeatures {
  keyUsage: readonly KeyUsageName[] | undefined;
  extKeyUsage: readonly string[];
  policies: readonly string[];
  /** basicConstraints cA. */
  ca: boolean;
  pathLength: number | undefined;
  selfSigned: boolean;
  ocspNoCheck: boolean;
}

const identification: ReadonlySet<string> = new Set(Object.values(identificationOids));

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** The profile whose key usage, EKU (ignoring the identification method), policy and CA facts all match. */
export function matchProfile(f: ProfileFeatures): ProfileName | undefined {
  const eku = f.extKeyUsage.filter((o) => !identification.has(o));
  return profiles.find(
    (p) =>
      sameSet(p.keyUsage, f.keyUsage ?? []) &&
      sameSet(p.extKeyUsage, eku) &&
      sameSet(p.policy ? [p.policy] : [], f.policies) &&
      (p.basicConstraints !== undefined) === f.ca &&
      p.basicConstraints?.pathLength === f.pathLength &&
      p.selfSigned === f.selfSigned &&
      p.ocspNoCheck === f.ocspNoCheck,
  )?.name;
}
