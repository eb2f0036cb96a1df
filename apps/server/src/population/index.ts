/** The population registry (ГБД ФЛ): the adapter interface, its database default, and the CSV + photos import. */
export { DatabasePopulationRegistry, type PopulationRegistry, type PopulationPerson, type IdentityDocument, type ReferencePhoto } from './registry.ts';
export { importPopulationCsv, normalizeDocumentNumber, type PopulationImportOptions, type PopulationImportReport, type PopulationRowProblem } from './import.ts';
export { sniffImage, type ImageInfo } from './photo.ts';
export type { PersonStatus, DocumentType, PhotoType } from './tables.ts';
