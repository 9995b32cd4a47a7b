// Loads config/default.json, lays the user's file over it and validates the result. A bad
// file stops start-up with an error that names the field, the bad value and what is allowed.

import { defaultShardCount, shardsInThreads } from '../net/shard-count.ts';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { ConfigError } from '../errors.ts';
import { ConfigSchema, type Config } from './schema.ts';
import { resolveRulesConfig, RulesConfigError, type RulesConfig, type RulesOverrides } from '../detect/rules/rules-config.ts';
import { feedSpecs } from '../feeds/feed-config.ts';
import { webhookSpecs } from '../notify/notify-config.ts';
import { checkResponderConfig, DEFAULT_RESPONDER, type ResponderConfig } from '../respond/responder-config.ts';
import { packageFile } from '../util/package-files.ts';

/** The rule detectors' thresholds: the defaults with the config's overrides, checked. */
export function rulesOf(config: Config): RulesConfig {
  return resolveRulesConfig(config.rules as RulesOverrides);
}

/** The responder's settings: the defaults with the config's values, checked. */
export function responderOf(config: Config): ResponderConfig {
  const r = config.responder;
  const merged: ResponderConfig = {
    ...DEFAULT_RESPONDER,
    ...r,
    escalation: { ...DEFAULT_RESPONDER.escalation, ...r.escalation },
    rateLimit: { ...DEFAULT_RESPONDER.rateLimit, ...r.rateLimit },
    manualTtl: { ...DEFAULT_RESPONDER.manualTtl, ...r.manualTtl },
    minPrefix: { ...DEFAULT_RESPONDER.minPrefix, ...r.minPrefix },
  };
  checkResponderConfig(merged);
  return merged;
}

/** Sections that check what the schema cannot (names used twice, one of two fields): feeds, notify. */
const SECTION_CHECKS: Array<(c: Config) => void> = [(c) => void feedSpecs(c.feeds), (c) => void webhookSpecs(c.notify.webhooks)];

export const DEFAULT_CONFIG_FILE = fileURLToPath(packageFile('config/default.json'));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function readJson(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}; pass an existing file with --config`, { cause: err });
  }
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function isObject(x: Json | undefined): x is { [k: string]: Json } {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Objects merge key by key; anything else in `over` replaces what `base` had. */
export function mergeConfig(base: Json, over: Json): Json {
  if (!isObject(base) || !isObject(over)) return over;
  const out: { [k: string]: Json } = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeConfig(base[k]!, v) : v;
  return out;
}

/** The schema node at a JSON pointer, walking object properties. */
function schemaAt(schema: TSchema, pointer: string): TSchema | undefined {
  let s: TSchema | undefined = schema;
  for (const part of pointer.split('/').slice(1)) {
    if (!s) return undefined;
    if (s[Kind] === 'Object') s = (s.properties as Record<string, TSchema>)[part];
    else if (s[Kind] === 'Array') s = s.items as TSchema;
    else return undefined;
  }
  return s;
}

/** What a schema allows, in words. */
export function describeAllowed(s: TSchema | undefined): string {
  if (!s) return 'nothing here';
  if (s.anyOf) return (s.anyOf as TSchema[]).map(describeAllowed).join(' or ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const t = s.type as string;
  if (t === 'null') return 'null';
  if (t === 'integer' || t === 'number') {
    const kind = t === 'integer' ? 'an integer' : 'a number';
    if (s.minimum !== undefined && s.maximum !== undefined) return `${kind} from ${s.minimum} to ${s.maximum}`;
    if (s.minimum !== undefined) return `${kind} ≥ ${s.minimum}`;
    return kind;
  }
  if (t === 'string') {
    if (s.pattern) return `a string matching ${s.pattern}`;
    if (s.minLength) return `a string of at least ${s.minLength} characters`;
    return 'a string';
  }
  if (t === 'boolean') return 'true or false';
  if (t === 'array') return `a list of ${describeAllowed(s.items as TSchema)}`;
  if (t === 'object') return `an object with keys ${Object.keys(s.properties ?? {}).join(', ')}`;
  return 'a valid value';
}

const field = (pointer: string) => pointer.slice(1).replaceAll('/', '.');

/** Validates a merged configuration; throws ConfigError listing every problem. */
export function validateConfig(value: unknown, source: string): Config {
  const problems: string[] = [];
  const reported = new Set<string>();
  for (const e of Value.Errors(ConfigSchema, value)) {
    // One line per field: a union or a missing key reports more than once.
    if (reported.has(e.path)) continue;
    reported.add(e.path);
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      const parent = e.path.slice(0, e.path.lastIndexOf('/'));
      const allowed = Object.keys((schemaAt(ConfigSchema, parent)?.properties as object) ?? {});
      problems.push(`unknown field "${field(e.path)}" (allowed here: ${allowed.join(', ')})`);
    } else if (e.type === ValueErrorType.ObjectRequiredProperty) {
      problems.push(`missing field "${field(e.path)}": expected ${describeAllowed(schemaAt(ConfigSchema, e.path))}`);
    } else {
      const s = schemaAt(ConfigSchema, e.path);
      problems.push(`field "${field(e.path)}" has bad value ${JSON.stringify(e.value)}: expected ${describeAllowed(s)}`);
    }
  }
  if (problems.length === 0) {
    // Sections whose modules check their own fields (values that depend on each other).
    try {
      rulesOf(value as Config);
    } catch (err) {
      if (!(err instanceof RulesConfigError)) throw err;
      problems.push(err.message.replace(/^rules: (\S+)/, 'field "rules.$1"'));
    }
    try {
      responderOf(value as Config);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err.message.replace(/^responder: (\S+)/, 'field "responder.$1"'));
    }
    for (const check of SECTION_CHECKS) {
      try {
        check(value as Config);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(err.message);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(`${source}: ${problems.join('; ')}`);
  return value as Config;
}

export interface LoadedConfig {
  config: Config;
  /** The files that were read, defaults first. */
  files: string[];
}

/** pipeline.shards 0 in a cluster (set a number to fit the members' cores). */
export const CLUSTER_DEFAULT_SHARDS = 2;

export function loadConfig(userFile?: string, overrides: Json = {}): LoadedConfig {
  const files = [DEFAULT_CONFIG_FILE];
  let merged = readJson(DEFAULT_CONFIG_FILE);
  if (userFile) {
    merged = mergeConfig(merged, readJson(userFile));
    files.push(userFile);
  }
  merged = mergeConfig(merged, overrides);
  const config = validateConfig(merged, userFile ? `config file ${userFile}` : `default config ${DEFAULT_CONFIG_FILE}`);
  if (config.pipeline.shards === 0) {
    // One shard per core on a single node. A cluster places shard k on one member, so its
    // members must agree on a number whatever their cores: there 0 is the fixed default.
    config.pipeline.shards = config.cluster.etcd.length > 0 ? CLUSTER_DEFAULT_SHARDS : defaultShardCount();
  }
  config.pipeline.workers = shardsInThreads(config.pipeline.workers);
  if (config.node.id === 'auto') config.node.id = hostname().replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63) || 'node';
  return { config, files };
}
