/** The mobile-citizens registry (БМГ): the adapter interface, its database default, and the CSV import. */
export { DatabaseMobileRegistry, type MobileRegistry, type MobileRegistryEntry } from './mobile-registry.ts';
export { importRegistryCsv, type RegistryImportOptions, type RegistryImportReport, type RowProblem } from './import.ts';
export { readCsv, type CsvRecord } from './csv.ts';
