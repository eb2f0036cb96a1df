export { validatePath } from './validate.ts';
export type { ChainElement, PathVerdict, Purpose, RevocationMode, RevocationVerdict, ValidatePathOptions } from './types.ts';
export type { CertificateInput } from './certificate.ts';
export { PathBudget, defaultPathBudget, type PathBudgetLimits } from './budget.ts';
export type { PolicyInputs, PolicyReport, PolicyTreeNode } from './policies.ts';
export type { Profile as PathProfile } from './profile.ts';
