// Rules the server states in its OpenAPI document, for checking input before it is
// sent: taken from the generated schema, never copied (the UI once refused "données",
// a name the server accepts, because it kept an ASCII-only copy of the rule).

import { patternOf } from './validate';

const COLLECTION_NAME = patternOf('CollectionName');

/** Would the server accept this collection name? (The schema's `CollectionName`.) */
export function isCollectionName(name: string): boolean {
  return COLLECTION_NAME.test(name);
}
