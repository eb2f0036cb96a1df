/**
 * NCA's GOST algorithms as one table: which key OID goes with which signature OID, hash, curve
 * parameters and private-key layout. Everything else (verification, signers, key files) looks the
 * algorithm up here, so a key OID means the same thing everywhere.
 */
import { QtError } from '@qoltanba/errors';
import { oid, oidNames } from '../oids.ts';
import type { Bytes } from '../encoding.ts';
import { CRYPTOPRO_A, TC26_256_A, TC26_512_A, type GostCurveParams } from './curves.ts';
import { gost34311 } from './gost341194.ts';
import { streebog256, streebog512 } from './streebog.ts';

export interface KzGostAlgorithm {
  /** e.g. "GOST 34.10-2015 (512)" */
  name: string;
  keyOid: string;
  signatureOid: string;
  digestOid: string;
  /** The hash the signature is computed over. */
  hash(data: Uint8Array): Bytes;
  /**
   * Kazakh curve-parameter OIDs we know, with their curves. The OID is NCA's; the curve behind it is
   * the Russian one the fixtures verify on.
   */
  curves: Readonly<Record<string, GostCurveParams>>;
  /** Curve and hash parameter OIDs NCA writes into the keys it issues (our SPKIs copy them). */
  defaultParams: { curveOid: string; digestParamsOid: string } | undefined;
  /**
   * How NCA stores the private key inside PKCS#8: the 2015 keys as d little-endian in an OCTET
   * STRING, the 2004 keys as a big-endian INTEGER.
   */
  privateKeyForm: 'octets-le' | 'integer-be';
}

export const KZ_GOST_2015_512: KzGostAlgorithm = {
  name: oidNames[oid.kzGost2015_512Key]!,
  keyOid: oid.kzGost2015_512Key,
  signatureOid: oid.kzGost2015_512Sign,
  digestOid: oid.kzStreebog512,
  hash: streebog512,
  curves: { [oid.kzGost2015_512Params]: TC26_512_A },
  defaultParams: { curveOid: oid.kzGost2015_512Params, digestParamsOid: oid.kzStreebog512 },
  privateKeyForm: 'octets-le',
};

export const KZ_GOST_2004: KzGostAlgorithm = {
  name: oidNames[oid.kzGost2004Key]!,
  keyOid: oid.kzGost2004Key,
  signatureOid: oid.kzGost2004Sign,
  digestOid: oid.kzGost34311_95,
  hash: gost34311,
  curves: { [oid.kzGost2004Params]: CRYPTOPRO_A },
  defaultParams: { curveOid: oid.kzGost2004Params, digestParamsOid: oid.kzGost34311_95Params },
  privateKeyForm: 'integer-be',
};

/**
 * GOST 34.10-2015 (256) with Streebog-256, on the TC26 256-bit curve A (see curves.ts for why that curve), with
 * the same encodings as the 512-bit kind: little-endian x‖y, d little-endian in an OCTET STRING, r‖s reversed.
 */
export const KZ_GOST_2015_256: KzGostAlgorithm = {
  name: oidNames[oid.kzGost2015_256Key]!,
  keyOid: oid.kzGost2015_256Key,
  signatureOid: oid.kzGost2015_256Sign,
  digestOid: oid.kzStreebog256,
  hash: streebog256,
  curves: { [oid.kzGost2015_256Params]: TC26_256_A },
  defaultParams: { curveOid: oid.kzGost2015_256Params, digestParamsOid: oid.kzStreebog256 },
  privateKeyForm: 'octets-le',
};

export const kzGostAlgorithms: readonly KzGostAlgorithm[] = [KZ_GOST_2015_512, KZ_GOST_2004, KZ_GOST_2015_256];

export function kzGostByKeyOid(keyOid: string): KzGostAlgorithm | undefined {
  return kzGostAlgorithms.find((a) => a.keyOid === keyOid);
}

export function kzGostBySignatureOid(sigOid: string): KzGostAlgorithm | undefined {
  return kzGostAlgorithms.find((a) => a.signatureOid === sigOid);
}

/** The curve for a key's parameters; a key without parameters gets the curve NCA uses for its kind. */
export function curveParamsFor(alg: KzGostAlgorithm, curveOid: string | undefined): GostCurveParams {
  const chosen = curveOid ?? alg.defaultParams?.curveOid;
  const params = chosen ? alg.curves[chosen] : undefined;
  if (!params) {
    throw new QtError(
      'QT_ERR_ALGORITHM_UNSUPPORTED',
      `${alg.name} keys with curve parameters ${curveOid ?? '(none)'} are not supported`,
      { oid: alg.keyOid, parameters: curveOid },
    );
  }
  return params;
}
