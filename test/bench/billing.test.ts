import {
  attributeValueSize,
  BillingModel,
  itemSize,
  numberSize,
  parseUpdateExpression,
  readUnits,
  statementAsWrite,
  toAttributeMap,
  writeUnits,
} from '../../bench/billing';

describe('bench billing model', () => {
  describe('item sizes', () => {
    it('counts a string as its UTF-8 bytes', () => {
      expect(attributeValueSize({ S: 'héllo' })).toBe(6);
    });

    it('counts a number as one byte per two significant digits plus one', () => {
      expect(numberSize('129.9')).toBe(3);
      expect(numberSize('-12345')).toBe(4);
      expect(numberSize('0.0010')).toBe(2);
      expect(numberSize('0')).toBe(2);
    });

    it('counts binary as its raw bytes, also when given base64 text', () => {
      expect(attributeValueSize({ B: new Uint8Array(10) })).toBe(10);
      expect(attributeValueSize({ B: Buffer.from('abc').toString('base64') as unknown as Uint8Array })).toBe(3);
    });

    it('counts booleans and null as one byte', () => {
      expect(attributeValueSize({ BOOL: false })).toBe(1);
      expect(attributeValueSize({ NULL: true })).toBe(1);
    });

    it('counts a map as 3 bytes plus, per element, 1 byte, its name and its value', () => {
      expect(attributeValueSize({ M: {} })).toBe(3);
      expect(attributeValueSize({ M: { ab: { S: 'xyz' } } })).toBe(3 + 1 + 2 + 3);
    });

    it('counts a list as 3 bytes plus, per element, 1 byte and its value', () => {
      expect(attributeValueSize({ L: [{ S: 'a' }, { N: '12' }] })).toBe(3 + (1 + 1) + (1 + 2));
    });

    it('counts an item as its attribute names plus their values', () => {
      expect(itemSize({ id: { S: 'key-1' }, n: { N: '7' } })).toBe(2 + 5 + 1 + 2);
    });
  });

  describe('units', () => {
    it('bills at least one write unit, one per started KB', () => {
      expect(writeUnits(0)).toBe(1);
      expect(writeUnits(1024)).toBe(1);
      expect(writeUnits(1025)).toBe(2);
    });

    it('doubles the write units of a transactional write', () => {
      expect(writeUnits(1025, true)).toBe(4);
    });

    it('bills one read unit per started 4 KB, half for an eventually consistent read', () => {
      expect(readUnits(4096, true)).toBe(1);
      expect(readUnits(4097, true)).toBe(2);
      expect(readUnits(100, false)).toBe(0.5);
      expect(readUnits(0, true)).toBe(1);
    });
  });

  describe('update expressions', () => {
    it('reads SET and REMOVE clauses with placeholder names', () => {
      const effect = parseUpdateExpression(
        'SET #s = :s, #r = :r REMOVE #old, #gone',
        { '#s': 'status', '#r': 'result', '#old': 'lease', '#gone': 'steps' },
        { ':s': { S: 'COMPLETED' }, ':r': { S: '{}' } },
      );
      expect([...effect.set.entries()]).toEqual([
        ['status', 9],
        ['result', 2],
      ]);
      expect(effect.remove).toEqual(['lease', 'steps']);
    });

    it('grows the top-level attribute of a nested SET by the value it sets', () => {
      const effect = parseUpdateExpression('SET #steps.#step = :c', { '#steps': 'steps', '#step': 'one' }, { ':c': { S: 'done' } });
      expect([...effect.grow.entries()]).toEqual([['steps', 4]]);
      expect(effect.set.size).toBe(0);
    });

    it('reads plain JavaScript values as the document client sends them', () => {
      const effect = parseUpdateExpression('SET a = :a', {}, { ':a': 'four' });
      expect(effect.set.get('a')).toBe(4);
    });
  });

  describe('toAttributeMap', () => {
    it('keeps an item already in attribute-value form', () => {
      const item = { id: { S: 'x' } };
      expect(toAttributeMap(item)).toBe(item);
    });

    it('marshals a document-client item', () => {
      expect(toAttributeMap({ id: 'x', n: 2 })).toEqual({ id: { S: 'x' }, n: { N: '2' } });
    });
  });

  describe('BillingModel', () => {
    const big = 'x'.repeat(1500);

    it('bills a PutItem of a new small item one write unit', () => {
      const model = new BillingModel();
      const bill = model.apply({ command: 'PutItemCommand', input: { TableName: 't', Item: { id: { S: 'a' } } } });
      expect(bill).toEqual({ writeUnits: 1, readUnits: 0, itemBytes: [3] });
    });

    it('bills a failed conditional PutItem on the size of the existing item', () => {
      const model = new BillingModel();
      model.apply({ command: 'PutItemCommand', input: { TableName: 't', Item: { id: { S: 'a' }, v: { S: big } } } });
      const bill = model.apply({
        command: 'PutItemCommand',
        input: { TableName: 't', Item: { id: { S: 'a' } } },
        errorName: 'ConditionalCheckFailedException',
      });
      expect(bill.writeUnits).toBe(2);
    });

    it('bills a failed conditional write on a missing item one write unit', () => {
      const model = new BillingModel();
      const bill = model.apply({
        command: 'UpdateItemCommand',
        input: {
          TableName: 't',
          Key: { id: { S: 'missing' } },
          UpdateExpression: 'SET a = :a',
          ExpressionAttributeValues: { ':a': { S: big } },
        },
        errorName: 'ConditionalCheckFailedException',
      });
      expect(bill.writeUnits).toBe(1);
    });

    it('bills an UpdateItem that grows an item past 1 KB on the size after', () => {
      const model = new BillingModel();
      model.apply({ command: 'PutItemCommand', input: { TableName: 't', Item: { id: { S: 'a' } } } });
      const bill = model.apply({
        command: 'UpdateItemCommand',
        input: { TableName: 't', Key: { id: { S: 'a' } }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': { S: big } } },
      });
      expect(bill.writeUnits).toBe(2);
    });

    it('bills an UpdateItem that shrinks an item on the size before', () => {
      const model = new BillingModel();
      model.apply({ command: 'PutItemCommand', input: { TableName: 't', Item: { id: { S: 'a' }, v: { S: big } } } });
      const bill = model.apply({
        command: 'UpdateItemCommand',
        input: { TableName: 't', Key: { id: { S: 'a' } }, UpdateExpression: 'REMOVE v' },
      });
      expect(bill.writeUnits).toBe(2);
      const after = model.apply({
        command: 'UpdateItemCommand',
        input: { TableName: 't', Key: { id: { S: 'a' } }, UpdateExpression: 'REMOVE w' },
      });
      expect(after.writeUnits).toBe(1);
    });

    it('bills a DeleteItem on the item it deletes', () => {
      const model = new BillingModel();
      model.apply({ command: 'PutItemCommand', input: { TableName: 't', Item: { id: { S: 'a' }, v: { S: big } } } });
      expect(model.apply({ command: 'DeleteItemCommand', input: { TableName: 't', Key: { id: { S: 'a' } } } }).writeUnits).toBe(2);
      expect(model.size).toBe(0);
    });

    it('bills every item of a TransactWriteItems twice, in document-client form too', () => {
      const model = new BillingModel();
      const bill = model.apply({
        command: 'TransactWriteItemsCommand',
        input: {
          TransactItems: [{ Put: { TableName: 't', Item: { id: 'a', v: big } } }, { Put: { TableName: 'u', Item: { id: 'b' } } }],
        },
      });
      expect(bill.writeUnits).toBe(2 * 2 + 2 * 1);
      expect(model.size).toBe(2);
    });

    it('applies nothing of a cancelled transaction', () => {
      const model = new BillingModel();
      model.apply({
        command: 'TransactWriteItemsCommand',
        input: { TransactItems: [{ Put: { TableName: 't', Item: { id: { S: 'a' } } } }] },
        errorName: 'TransactionCanceledException',
      });
      expect(model.size).toBe(0);
    });

    it('bills a consistent GetItem one read unit per started 4 KB', () => {
      const model = new BillingModel();
      model.apply({ command: 'PutItemCommand', input: { TableName: 't', Item: { id: { S: 'a' }, v: { S: 'x'.repeat(5000) } } } });
      const bill = model.apply({ command: 'GetItemCommand', input: { TableName: 't', Key: { id: { S: 'a' } }, ConsistentRead: true } });
      expect(bill).toEqual({ writeUnits: 0, readUnits: 2, itemBytes: [] });
    });

    it('bills nothing for a request that failed for another reason than its condition', () => {
      const model = new BillingModel();
      const bill = model.apply({
        command: 'PutItemCommand',
        input: { TableName: 't', Item: { id: { S: 'a' } } },
        errorName: 'ValidationException',
      });
      expect(bill).toEqual({ writeUnits: 0, readUnits: 0, itemBytes: [] });
      expect(model.size).toBe(0);
    });
  });
});

describe('PartiQL statements of batched writes', () => {
  it('bill an INSERT as the PutItem and an UPDATE as the UpdateItem they stand for', () => {
    const insert = statementAsWrite(`INSERT INTO "t" VALUE {'id': ?, 'status': ?}`, [{ S: 'k1' }, { S: 'INPROGRESS' }]);
    expect(insert).toEqual({
      command: 'PutItemCommand',
      input: { TableName: 't', Item: { id: { S: 'k1' }, status: { S: 'INPROGRESS' } } },
    });
    const update = statementAsWrite(`UPDATE "t" SET "status"=? SET "result"=? REMOVE "steps" WHERE "id"=? AND "token"=?`, [
      { S: 'COMPLETED' },
      { S: 'x' },
      { S: 'k1' },
      { S: 'tok' },
    ]);
    expect(update).toEqual({
      command: 'UpdateItemCommand',
      input: {
        TableName: 't',
        Key: { id: { S: 'k1' } },
        UpdateExpression: 'SET #s0 = :s0, #s1 = :s1 REMOVE #r0',
        ExpressionAttributeNames: { '#s0': 'status', '#s1': 'result', '#r0': 'steps' },
        ExpressionAttributeValues: { ':s0': { S: 'COMPLETED' }, ':s1': { S: 'x' } },
      },
    });
  });

  it('bill a batch of statements as the sum of its single writes', () => {
    const model = new BillingModel();
    const bill = model.apply({
      command: 'BatchExecuteStatementCommand',
      input: {
        Statements: [
          { Statement: `INSERT INTO "t" VALUE {'id': ?}`, Parameters: [{ S: 'a' }] },
          { Statement: `INSERT INTO "t" VALUE {'id': ?}`, Parameters: [{ S: 'b' }] },
        ],
      },
      statementErrors: [undefined, 'DuplicateItem'],
    });
    expect(bill.writeUnits).toBe(2);
  });
});
