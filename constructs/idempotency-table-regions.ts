/**
 * Internal: the synth-time checks of {@link IdempotencyTable}'s multi-Region props. DynamoDB's multi-Region
 * strong consistency (MRSC) spans exactly three Regions: the stack's Region and two replicas, or the stack's
 * Region, one replica and a witness. Each rule below names the values it saw; the first broken one throws.
 * Whether the Regions form one of DynamoDB's MRSC Region sets is left to aws-cdk-lib's `TableV2`, whose
 * error the construct reports as a `ConstructValidationError` too.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { MRSC_REGION_COUNT } from './defaults';
import { ConstructValidationError } from './errors';

/** The multi-Region props, as given. */
export interface MultiRegionProps {
  readonly replicaRegions?: readonly string[];
  readonly witnessRegion?: string;
  readonly multiRegionConsistency?: dynamodb.MultiRegionConsistency;
  readonly replicaEncryptionKeyArns?: Readonly<Record<string, string>>;
  /** Whether a customer managed key encrypts the table. */
  readonly customerManagedKey: boolean;
}

/** A checked multi-Region layout. */
export interface MultiRegionLayout {
  readonly stackRegion: string;
  readonly replicaRegions: readonly string[];
  readonly witnessRegion: string | undefined;
}

/** What a rule sees: the props and the stack's Region. */
interface RuleInput extends MultiRegionProps {
  readonly stackRegion: string;
  readonly replicas: readonly string[];
}

/** A rule: the prop it is about, and the message when broken (undefined when it holds). */
interface Rule {
  readonly property: string;
  readonly broken: (input: RuleInput) => string | undefined;
}

const list = (regions: readonly string[]): string => regions.join(', ');

/** Why eventually consistent replicas are refused: the idempotency claim needs one winner. */
export const EVENTUAL_CONSISTENCY_REFUSAL =
  'with eventually consistent replicas DynamoDB settles concurrent writes by last writer wins, so a claim made in two ' +
  'Regions at once succeeds in both and the event runs twice; use MultiRegionConsistency.STRONG (the default with replicaRegions)';

/** Checked in order once `replicaRegions` is given; each names the values it saw. */
const MULTI_REGION_RULES: readonly Rule[] = [
  {
    property: 'replicaRegions',
    broken: ({ replicas, witnessRegion }) => {
      const unresolved = [...replicas, ...(witnessRegion === undefined ? [] : [witnessRegion])].filter((r) => Token.isUnresolved(r));
      return unresolved.length === 0
        ? undefined
        : `replicaRegions and witnessRegion must be Region names, not unresolved tokens (got ${list(unresolved)}): DynamoDB fixes the Regions of a strongly consistent table when it is created`;
    },
  },
  {
    property: 'replicaRegions',
    broken: ({ stackRegion, replicas }) =>
      Token.isUnresolved(stackRegion)
        ? `replicaRegions (${list(replicas)}) need the stack's Region, which is unresolved (an environment-agnostic stack): set env.region on the stack`
        : undefined,
  },
  {
    property: 'replicaRegions',
    broken: ({ replicas }) => {
      const repeated = replicas.filter((region, index) => replicas.indexOf(region) !== index);
      return repeated.length === 0 ? undefined : `replicaRegions (${list(replicas)}) names ${list([...new Set(repeated)])} more than once`;
    },
  },
  {
    property: 'replicaRegions',
    broken: ({ stackRegion, replicas }) =>
      replicas.includes(stackRegion)
        ? `replicaRegions (${list(replicas)}) includes the stack's own Region (${stackRegion}), where the table is created: name only the other Regions`
        : undefined,
  },
  {
    property: 'witnessRegion',
    broken: ({ stackRegion, replicas, witnessRegion }) =>
      witnessRegion !== undefined && (witnessRegion === stackRegion || replicas.includes(witnessRegion))
        ? `witnessRegion (${witnessRegion}) must be a Region other than the stack's (${stackRegion}) and the replicaRegions (${list(replicas)})`
        : undefined,
  },
  {
    property: 'replicaRegions',
    broken: ({ stackRegion, replicas, witnessRegion }) => {
      const expected = witnessRegion === undefined ? MRSC_REGION_COUNT - 1 : MRSC_REGION_COUNT - 2;
      if (replicas.length === expected) return undefined;
      const shape =
        witnessRegion === undefined
          ? `the stack's Region (${stackRegion}) and 2 replicaRegions, or ${stackRegion}, 1 replica Region and a witnessRegion`
          : `the stack's Region (${stackRegion}), 1 replica Region and the witnessRegion (${witnessRegion})`;
      return `replicaRegions must name exactly ${expected} Region${expected === 1 ? '' : 's'}${witnessRegion === undefined ? '' : ' with a witnessRegion'}, got ${replicas.length} (${list(replicas)}): a strongly consistent table spans exactly ${MRSC_REGION_COUNT} Regions, ${shape}`;
    },
  },
  {
    property: 'replicaEncryptionKeyArns',
    broken: ({ replicaEncryptionKeyArns, customerManagedKey }) =>
      replicaEncryptionKeyArns !== undefined && !customerManagedKey
        ? `replicaEncryptionKeyArns (${list(Object.keys(replicaEncryptionKeyArns))}) needs encryptionKey: they are the keys of that key's replicas`
        : undefined,
  },
  {
    property: 'replicaEncryptionKeyArns',
    broken: ({ replicaEncryptionKeyArns, customerManagedKey, replicas }) => {
      if (!customerManagedKey) return undefined;
      const given = Object.keys(replicaEncryptionKeyArns ?? {});
      const missing = replicas.filter((region) => !given.includes(region));
      const extra = given.filter((region) => !replicas.includes(region));
      if (missing.length === 0 && extra.length === 0) return undefined;
      return (
        `replicaEncryptionKeyArns must name one KMS key ARN for each of replicaRegions (${list(replicas)}), as a KMS key lives in one Region` +
        (missing.length > 0 ? `; missing ${list(missing)}` : '') +
        (extra.length > 0 ? `; not a replica Region: ${list(extra)}` : '')
      );
    },
  },
];

/**
 * The checked multi-Region layout of the props, or undefined for a single-Region table (no `replicaRegions`).
 * Throws a {@link ConstructValidationError} on the first broken rule.
 */
export function resolveMultiRegionLayout(scope: Construct, props: MultiRegionProps): MultiRegionLayout | undefined {
  const consistency = props.multiRegionConsistency;
  if (consistency !== undefined && consistency !== dynamodb.MultiRegionConsistency.STRONG) {
    throw new ConstructValidationError(
      scope,
      'multiRegionConsistency',
      `multiRegionConsistency (${consistency}) is refused: ${EVENTUAL_CONSISTENCY_REFUSAL}`,
    );
  }
  if (props.replicaRegions === undefined) {
    const stray: [string, unknown][] = [
      ['witnessRegion', props.witnessRegion],
      ['multiRegionConsistency', consistency],
      ['replicaEncryptionKeyArns', props.replicaEncryptionKeyArns],
    ];
    const set = stray.find(([, value]) => value !== undefined);
    if (set !== undefined) {
      throw new ConstructValidationError(
        scope,
        set[0],
        `${set[0]} (${describe(set[1])}) applies to a multi-Region table only: set replicaRegions (2 Regions, or 1 with a witnessRegion)`,
      );
    }
    return undefined;
  }
  const given = props.replicaRegions as unknown;
  if (!Array.isArray(given) || given.some((region) => typeof region !== 'string')) {
    throw new ConstructValidationError(
      scope,
      'replicaRegions',
      typeof given === 'string'
        ? `replicaRegions must be an array of Region names, got the string ${JSON.stringify(given)}: write [${JSON.stringify(given)}]`
        : `replicaRegions must be an array of Region names, got ${Array.isArray(given) ? `[${given.map((r) => (typeof r === 'string' ? JSON.stringify(r) : String(r))).join(', ')}]` : String(given)}`,
    );
  }
  const input: RuleInput = { ...props, stackRegion: Stack.of(scope).region, replicas: props.replicaRegions };
  for (const rule of MULTI_REGION_RULES) {
    const message = rule.broken(input);
    if (message !== undefined) throw new ConstructValidationError(scope, rule.property, message);
  }
  return { stackRegion: input.stackRegion, replicaRegions: [...input.replicas], witnessRegion: props.witnessRegion };
}

function describe(value: unknown): string {
  return typeof value === 'object' && value !== null ? Object.keys(value).join(', ') : String(value);
}
