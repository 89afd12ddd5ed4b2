import { Testing } from "cdktf";
import { validateConfig } from "../../src/config/validate";
import { stackFor } from "../../src/stacks";

/** A stack synthesized from a raw config (as a file would hold it): the JSON text and its parsed form. */
export function synthesize(raw: Record<string, unknown>): { json: string; tf: Record<string, any> } {
  const { config } = validateConfig(raw);
  const stack = stackFor(Testing.app(), config);
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) };
}
