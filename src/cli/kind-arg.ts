/** Resolving the KIND argument of get/delete against the kind registry. */
import { UsageError } from '../core/errors.js';
import { allKinds, kindByCliName, type KindInfo } from '../resources/kinds.js';

export function kindNames(): string[] {
  return allKinds().map((k) => k.cliNames[0]);
}

export function kindFromArg(name: string): KindInfo {
  const kind = kindByCliName(name);
  if (!kind) throw new UsageError(`unknown resource type ${JSON.stringify(name)} (one of: ${kindNames().join(', ')})`);
  return kind;
}
