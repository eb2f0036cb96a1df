/**
 * Whether text is a UUID as our tables' ids are (any case). Ids arrive in URLs and forms; one that is not a UUID is
 * refused or "not found" before it reaches a `::uuid` cast, which would fail the statement (and its transaction).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}
