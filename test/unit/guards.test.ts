import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NumberValue, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { IdempotencyConfigError, IdempotencyVersionError } from '../../lib/errors';
import { applyIfNewer, newerThan, type ApplyIfNewerInput, type VersionGuardInput } from '../../lib/guards';
import { mergeConditionExpression, mergeUpdateExpression } from '../../lib/guards/expression';
import { DEFAULT_VERSION_ATTRIBUTE, buildGuardedUpdate } from '../../lib/guards/input';
import { guardFailure, transactGuardFailure } from '../../lib/guards/failure';

const GUARD = '(attribute_not_exists(#eoVersion) OR #eoVersion < :eoVersion)';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

const base: VersionGuardInput = { TableName: 'accounts', Key: { id: 'a-1' }, version: 5 };

describe('the version attribute', () => {
  it("defaults to 'version', which DEFAULT_VERSION_ATTRIBUTE names", () => {
    const { names, versionAttribute } = buildGuardedUpdate(base, 'applyIfNewer');
    expect(names).toEqual({ '#eoVersion': 'version' });
    expect(versionAttribute).toBe(DEFAULT_VERSION_ATTRIBUTE);
  });

  it('can be renamed', () => {
    expect(buildGuardedUpdate({ ...base, versionAttribute: 'seq' }, 'applyIfNewer').names).toEqual({ '#eoVersion': 'seq' });
  });
});

describe('the guard condition', () => {
  it('reads: the item has no version yet, or an older one', () => {
    expect(buildGuardedUpdate(base, 'applyIfNewer').conditionExpression).toBe(GUARD);
  });

  it('stands alone without a condition of the caller', () => {
    expect(mergeConditionExpression(undefined)).toBe(GUARD);
  });

  it("is combined with the caller's condition so both must hold", () => {
    expect(mergeConditionExpression('attribute_exists(id) OR #s = :open')).toBe(`${GUARD} AND (attribute_exists(id) OR #s = :open)`);
  });
});

describe('the update expression', () => {
  it('only sets the version when the caller gives no expression', () => {
    expect(mergeUpdateExpression(undefined)).toBe('SET #eoVersion = :eoVersion');
  });

  it("puts the version first in the caller's SET clause", () => {
    expect(mergeUpdateExpression('SET balance = :b, #n = :n')).toBe('SET #eoVersion = :eoVersion, balance = :b, #n = :n');
  });

  it('finds a SET clause in lower case and after other clauses', () => {
    expect(mergeUpdateExpression('REMOVE old ADD n :one set a = :a')).toBe('REMOVE old ADD n :one set #eoVersion = :eoVersion, a = :a');
  });

  it('finds a SET keyword followed directly by a placeholder', () => {
    expect(mergeUpdateExpression('ADD n :one SET#v = :v')).toBe('ADD n :one SET #eoVersion = :eoVersion,#v = :v');
  });

  it('adds a SET clause before an expression that has none', () => {
    expect(mergeUpdateExpression('  REMOVE old DELETE tags :t ')).toBe('SET #eoVersion = :eoVersion REMOVE old DELETE tags :t');
  });

  it('does not take placeholders or longer names containing "set" for the keyword', () => {
    expect(mergeUpdateExpression('ADD #set :set, reset_count :one, a.set_b :x')).toBe(
      'SET #eoVersion = :eoVersion ADD #set :set, reset_count :one, a.set_b :x',
    );
  });

  it('keeps a SET clause whose actions use functions', () => {
    expect(mergeUpdateExpression('SET items = list_append(if_not_exists(items, :empty), :new) REMOVE x')).toBe(
      'SET #eoVersion = :eoVersion, items = list_append(if_not_exists(items, :empty), :new) REMOVE x',
    );
  });
});

describe('buildGuardedUpdate', () => {
  it("keeps the caller's names and values next to the guard's", () => {
    const update = buildGuardedUpdate(
      {
        ...base,
        UpdateExpression: 'SET #b = :b',
        ConditionExpression: '#s = :open',
        ExpressionAttributeNames: { '#b': 'balance', '#s': 'status' },
        ExpressionAttributeValues: { ':b': 10, ':open': 'OPEN' },
      },
      'applyIfNewer',
    );
    expect(update).toEqual({
      tableName: 'accounts',
      key: { id: 'a-1' },
      versionAttribute: 'version',
      versionText: '5',
      updateExpression: 'SET #eoVersion = :eoVersion, #b = :b',
      conditionExpression: `${GUARD} AND (#s = :open)`,
      names: { '#b': 'balance', '#s': 'status', '#eoVersion': 'version' },
      values: { ':b': 10, ':open': 'OPEN' },
      returnValues: undefined,
    });
  });

  it('rejects an input that is not an object', () => {
    const error = thrown(() => buildGuardedUpdate(null, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe('Expected the input of applyIfNewer to be an object, got null');
  });

  it('rejects unknown options, naming them (typos are bugs)', () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, Version: 6, ConditionExpresion: 'x' }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      'Unknown options `Version`, `ConditionExpresion` given to applyIfNewer; expected only `TableName`, `Key`, `version`, ' +
        '`versionAttribute`, `UpdateExpression`, `ConditionExpression`, `ExpressionAttributeNames`, ' +
        '`ExpressionAttributeValues`, `ReturnValues`',
    );
  });

  it('rejects a missing TableName', () => {
    const error = thrown(() => buildGuardedUpdate({ Key: { id: 'x' }, version: 1 }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe('Expected `TableName` to be a non-empty string, got undefined');
  });

  it('rejects an empty Key', () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, Key: {} }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe('Expected `Key` to be an object of key attributes, got an object');
  });

  it('rejects a version attribute that is part of the key', () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, versionAttribute: 'id' }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      '`versionAttribute` "id" is a key attribute of `Key`; the version must live in a non-key attribute',
    );
  });

  it('rejects an empty UpdateExpression', () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, UpdateExpression: ' ' }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe('Expected `UpdateExpression` to be a non-empty string, got " "');
  });

  it('rejects a name placeholder that is not a string', () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, ExpressionAttributeNames: { '#a': 3 } }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe('Expected `ExpressionAttributeNames["#a"]` to be a string, got 3');
  });

  it('rejects the reserved name placeholder in ExpressionAttributeNames', () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, ExpressionAttributeNames: { '#eoVersion': 'x' } }, 'newerThan'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe('`ExpressionAttributeNames` uses #eoVersion, which newerThan reserves for the version attribute');
  });

  it('rejects the reserved value placeholder in ExpressionAttributeValues', () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, ExpressionAttributeValues: { ':eoVersion': 1 } }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe('`ExpressionAttributeValues` uses :eoVersion, which applyIfNewer reserves for the version');
  });

  it("rejects an expression of the caller's that uses a reserved placeholder", () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, ConditionExpression: '#eoVersion > :min' }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      '`ConditionExpression` uses #eoVersion, which applyIfNewer reserves for the version guard: "#eoVersion > :min"',
    );
  });

  it('accepts placeholders that merely start like the reserved ones', () => {
    const update = buildGuardedUpdate(
      {
        ...base,
        UpdateExpression: 'SET #eoVersionNote = :eoVersionNote',
        ExpressionAttributeNames: { '#eoVersionNote': 'note' },
        ExpressionAttributeValues: { ':eoVersionNote': 'n' },
      },
      'applyIfNewer',
    );
    expect(update.updateExpression).toBe('SET #eoVersion = :eoVersion, #eoVersionNote = :eoVersionNote');
  });

  it('rejects an unknown ReturnValues', () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, ReturnValues: 'ALL' }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      'Expected `ReturnValues` to be one of NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW, got "ALL"',
    );
  });

  it('validates the version', () => {
    const error = thrown(() => buildGuardedUpdate({ ...base, version: '1.5' }, 'applyIfNewer'));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toMatch(/^Expected `version` to be .*, got "1\.5" \(not a decimal integer\)$/);
  });
});

describe('newerThan', () => {
  const input: VersionGuardInput = {
    TableName: 'accounts',
    Key: { id: 'a-1' },
    version: '18849496460467696128',
    UpdateExpression: 'SET #b = :b',
    ConditionExpression: '#b >= :zero',
    ExpressionAttributeNames: { '#b': 'balance' },
    ExpressionAttributeValues: { ':b': 10, ':zero': 0 },
  };

  it('returns the guarded update as a lib-dynamodb TransactItems entry, the version as an exact NumberValue', () => {
    const item = newerThan(input);
    expect(item).toEqual({
      Update: {
        TableName: 'accounts',
        Key: { id: 'a-1' },
        UpdateExpression: 'SET #eoVersion = :eoVersion, #b = :b',
        ConditionExpression: `${GUARD} AND (#b >= :zero)`,
        ExpressionAttributeNames: { '#b': 'balance', '#eoVersion': 'version' },
        ExpressionAttributeValues: { ':b': 10, ':zero': 0, ':eoVersion': NumberValue.from('18849496460467696128') },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
    expect(item.Update.ExpressionAttributeValues[':eoVersion']).toBeInstanceOf(NumberValue);
    expect(String(item.Update.ExpressionAttributeValues[':eoVersion'])).toBe('18849496460467696128');
  });

  it('fits the TransactItems of a TransactWriteCommand', () => {
    const transaction: TransactWriteCommandInput = { TransactItems: [newerThan(input)] };
    expect(transaction.TransactItems).toHaveLength(1);
  });

  it('takes the client first too, like applyIfNewer, with the same result', () => {
    const client = new DynamoDBClient({ region: 'us-east-1' });
    expect(newerThan(client, input)).toEqual(newerThan(input));
  });

  it('rejects ReturnValues: a transaction returns no attributes', () => {
    const withReturnValues: ApplyIfNewerInput = { ...input, ReturnValues: 'ALL_NEW' };
    const error = thrown(() => newerThan(withReturnValues));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toMatch(/^Unknown option `ReturnValues` given to newerThan; expected only `TableName`/);
  });

  it('does not share the caller’s objects with the entry', () => {
    const names = { '#b': 'balance' };
    const item = newerThan({ ...input, ExpressionAttributeNames: names });
    expect(names).toEqual({ '#b': 'balance' });
    expect(item.Update.ExpressionAttributeNames).not.toBe(names);
  });
});

describe('applyIfNewer input checks (before anything is sent)', () => {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });

  it('rejects something that is not a client', async () => {
    const error = await rejected(applyIfNewer({} as DynamoDBClient, base));
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      'Expected the client given to applyIfNewer to be a DynamoDBClient or a DynamoDBDocumentClient, got object',
    );
  });

  it('rejects an invalid version with the version error', async () => {
    const error = await rejected(applyIfNewer(client, { ...base, version: 2 ** 60 }));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as IdempotencyVersionError).value).toBe(2 ** 60);
  });

  it('rejects a value that cannot be marshalled, naming the option', async () => {
    const error = await rejected(
      applyIfNewer(client, { ...base, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': undefined } }),
    );
    expect(error).toBeInstanceOf(IdempotencyConfigError);
    expect((error as Error).message).toBe(
      '`ExpressionAttributeValues` could not be converted to DynamoDB attribute values: ' +
        'Pass options.removeUndefinedValues=true to remove undefined values from map/array/set.',
    );
  });
});

describe('telling staleness from a failed condition of the caller', () => {
  it('finds the guard passed when there was no item', () => {
    expect(guardFailure('version', '5', undefined)).toBeUndefined();
  });

  it('finds the guard passed when the item had no version', () => {
    expect(guardFailure('version', '5', { id: { S: 'a' } })).toBeUndefined();
  });

  it('finds the guard passed when the stored version is older', () => {
    expect(guardFailure('version', '18000000000000000000', { version: { N: '9000000000000000000' } })).toBeUndefined();
  });

  it('reports a duplicate when the stored version is the same number', () => {
    expect(guardFailure('version', '5', { version: { N: '5' } })).toEqual({ applied: false, reason: 'duplicate', currentVersion: '5' });
  });

  it('reports a stale write when the stored version is newer', () => {
    expect(guardFailure('version', '9000000000000000000', { version: { N: '18000000000000000000' } })).toEqual({
      applied: false,
      reason: 'stale',
      currentVersion: '18000000000000000000',
    });
  });

  it('throws the version error when the stored version is not a Number', () => {
    const error = thrown(() => guardFailure('version', '5', { version: { S: '5' } }));
    expect(error).toBeInstanceOf(IdempotencyVersionError);
    expect((error as Error).message).toBe(
      'The item\'s version attribute "version" holds {"S":"5"}, not a Number; a version guard compares Numbers, ' +
        'so no write can pass it: remove or convert the attribute, or use another `versionAttribute`',
    );
    expect((error as IdempotencyVersionError).value).toEqual({ S: '5' });
  });

  it('reads a newerThan entry of a cancelled transaction', () => {
    const entry = newerThan({ ...base, versionAttribute: 'seq', version: 7n });
    expect(transactGuardFailure(entry, { seq: { N: '8' } })).toEqual({ applied: false, reason: 'stale', currentVersion: '8' });
    expect(transactGuardFailure(entry, { seq: { N: '6' } })).toBeUndefined();
  });

  it('ignores a transaction entry that newerThan did not build', () => {
    const entry = { Put: { TableName: 'accounts', Item: { id: 'a-1' } } };
    expect(transactGuardFailure(entry, { version: { N: '8' } })).toBeUndefined();
  });
});
