import { partiqlParts, partiqlValue } from '../../lib/persistence/dynamodb/partiql';

describe('PartiQL statements of batched writes', () => {
  it('writes the library constants into the text: status, outcome, encoding, an empty steps map, a lease of 0', () => {
    expect(partiqlValue('status', { S: 'COMPLETED' })).toBe("'COMPLETED'");
    expect(partiqlValue('outcome', { S: 'value' })).toBe("'value'");
    expect(partiqlValue('resultEncoding', { S: 'text' })).toBe("'text'");
    expect(partiqlValue('steps', { M: {} })).toBe('{}');
    expect(partiqlValue('leaseUntil', { N: '0' })).toBe('0');
  });

  it('sends whatever differs per record as a parameter: key, token, times, a running lease, the result', () => {
    expect(partiqlValue('id', { S: 'orders#abc' })).toBe('?');
    expect(partiqlValue('token', { S: 'a-token' })).toBe('?');
    expect(partiqlValue('expiration', { N: '4102444800' })).toBe('?');
    expect(partiqlValue('leaseUntil', { N: '1796593342461' })).toBe('?');
    expect(partiqlValue('result', { S: "{'status':'COMPLETED'}" })).toBe('?');
    expect(partiqlValue('steps', { M: { a: { M: { s: { S: 'done' } } } } })).toBe('?');
  });

  it('keeps the parameters in the order of the parts that ask for them', () => {
    const { parts, parameters } = partiqlParts(
      [
        ['status', { S: 'INPROGRESS' }],
        ['id', { S: 'k' }],
        ['leaseUntil', { N: '0' }],
        ['token', { S: 't' }],
      ],
      (name, value) => `${name}=${value}`,
    );
    expect(parts).toEqual(["status='INPROGRESS'", 'id=?', 'leaseUntil=0', 'token=?']);
    expect(parameters).toEqual([{ S: 'k' }, { S: 't' }]);
  });
});
