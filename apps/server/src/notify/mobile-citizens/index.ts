/** The mobile-citizens registry (БМГ): the adapter interface, its database default, and the CSV import. */
export { DatabaseMobileCitizens, type MobileCitizens, type MobileCitizenEntry } from './mobile-citizens.ts';
export { importMobileCitizensCsv, type MobileCitizensImportOptions, type MobileCitizensImportReport, type MobileCitizensRowProblem } from './import.ts';
