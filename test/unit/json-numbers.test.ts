/**
 * JSON payloads keep every number exact: SQS bodies, Kinesis data and Kafka values are parsed so that an
 * integer beyond 2^53 is a `bigint` and a decimal a `number` cannot hold is a `NumberValue`, as DynamoDB
 * Streams images already are; keys, fingerprints and handlers see the exact value.
 */
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { InMemoryStore } from '../../lib';
import { parseJson } from '../../lib/json';
import { canonicalize } from '../../lib/keys/canonical';
import { processSqsBatch } from '../../lib/sqs';
import { processStreamBatch } from '../../lib/streams';
import { sqsEvent, sqsRecord } from '../helpers/sqs-events';
import { kafkaRecord, kinesisEvent, kinesisRecords, mskEvent } from '../helpers/stream-events';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const BIG_A = '12345678901234567890';
const BIG_B = '12345678901234567891';
const LONG_DECIMAL = '0.1000000000000000055511151231257827';

describe('parseJson', () => {
  it('keeps integers beyond 2^53 as bigint, however they are written', () => {
    expect(parseJson(`{"orderId": ${BIG_A}}`)).toEqual({ orderId: 12345678901234567890n });
    expect(parseJson('[1e21, 999999999e9, 9007199254740993, 9007199254740991]')).toEqual([
      10n ** 21n,
      999999999n * 10n ** 9n,
      9007199254740993n,
      9007199254740991,
    ]);
    expect(parseJson(`[-${BIG_B}]`)).toEqual([-12345678901234567891n]);
  });

  it('keeps a decimal a number cannot hold as a NumberValue of its text', () => {
    const value = parseJson(`{"amount": ${LONG_DECIMAL}}`) as { amount: unknown };
    expect(value.amount).toBeInstanceOf(NumberValue);
    expect(String(value.amount)).toBe(LONG_DECIMAL);
    expect(parseJson('[1e400]')).toEqual([10n ** 400n]);
    expect(String((parseJson('[1e-400]') as unknown[])[0])).toBe('1e-400');
  });

  it('gives what JSON.parse gives for every other value, numbers that a double holds included', () => {
    const text = `{"a": [1, 2.5, -0, 1e-7, 123456789012345, "${BIG_A}"], "b": {"__proto__": {"c": null}}, "d": true}`;
    expect(parseJson(text)).toEqual(JSON.parse(text));
    expect(Object.is((parseJson('[-0.0, 12345678901234567]') as unknown[])[0], -0)).toBe(true);
  });

  it('puts an exact number back anywhere: the whole text, an array, a member named __proto__', () => {
    expect(parseJson(BIG_A)).toBe(12345678901234567890n);
    expect(parseJson(`[[1, [${BIG_A}]], {"x": [${BIG_B}]}]`)).toEqual([[1, [12345678901234567890n]], { x: [12345678901234567891n] }]);
    const value = parseJson(`{"__proto__": ${BIG_A}, "a": "${BIG_B}"}`) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(12345678901234567890n);
    expect(value['a']).toBe(BIG_B);
  });

  it('refuses what JSON.parse refuses, with its SyntaxError', () => {
    for (const text of ['[1,]', `{"a" ${BIG_A}}`, `[${BIG_A}`, '', `"${BIG_A}`, '01234567890123456789']) {
      expect(() => parseJson(text)).toThrow(SyntaxError);
    }
  });

  it('refuses a number a double cannot hold written as a member name, with the native message', () => {
    for (const text of [`{"a":1, ${BIG_A}: 2}`, '{"a":1,1e16:1}', `[{"b":[1e16]},\n{\t${BIG_A}:true}]`]) {
      const native = (() => {
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          return error;
        }
      })();
      expect(native).toBeInstanceOf(SyntaxError);
      expect(() => parseJson(text)).toThrow(native as SyntaxError);
    }
  });

  it('a member repeated keeps its last value, as JSON.parse keeps it, exact or not', () => {
    expect(parseJson(`{"a":${BIG_A},"a":5}`)).toEqual({ a: 5 });
    expect(parseJson(`{"a":5,"a":${BIG_A}}`)).toEqual({ a: BigInt(BIG_A) });
  });

  it('finds a number it must keep exact wherever it starts in the text (only every 16th character is looked at first)', () => {
    for (let pad = 0; pad < 40; pad += 1) {
      const prefix = `{"p": "${'x'.repeat(pad)}", "n": `;
      expect(parseJson(`${prefix}${BIG_A}}`)).toEqual({ p: 'x'.repeat(pad), n: 12345678901234567890n });
      expect(String((parseJson(`${prefix}${LONG_DECIMAL}}`) as { n: unknown }).n)).toBe(LONG_DECIMAL);
      // 16 and 17 significant digits split by the point: a double holds the first, not the second.
      expect(parseJson(`${prefix}1.000000000000001}`)).toEqual({ p: 'x'.repeat(pad), n: 1.000000000000001 });
      expect(String((parseJson(`${prefix}12345678.123456789}`) as { n: unknown }).n)).toBe('12345678.123456789');
      expect(String((parseJson(`${prefix}1.0000000000000001}`) as { n: unknown }).n)).toBe('1.0000000000000001');
    }
  });

  it('leaves runs shorter than 16 digits and points to JSON.parse, wherever they start', () => {
    for (let pad = 0; pad < 40; pad += 1) {
      const text = `{"p": "${'x'.repeat(pad)}", "n": [123456789012345, 1733508000000, 1234567.1234567, "192.168.100.100"]}`;
      expect(parseJson(text)).toEqual(JSON.parse(text));
    }
  });

  it('parses 100,000 nested arrays without overflowing the stack', () => {
    const deep = `${'['.repeat(100_000)}${BIG_A}${']'.repeat(100_000)}`;
    let value = parseJson(deep);
    for (let i = 0; i < 100_000; i += 1) value = (value as unknown[])[0];
    expect(value).toBe(12345678901234567890n);
  });
});

/** Runs one SQS batch over `bodies` with `key`; returns what each record's handler received, in order of runs. */
async function sqsRuns(bodies: string[], key: string): Promise<unknown[]> {
  const seen: unknown[] = [];
  const store = new InMemoryStore();
  for (const body of bodies) {
    await processSqsBatch(sqsEvent([sqsRecord({ body })]), async (_record, { body: parsed }) => void seen.push(parsed), {
      store,
      key,
      name: 'json-numbers',
      logger: quiet,
    });
  }
  return seen;
}

describe('SQS bodies', () => {
  it('two orders whose ids differ beyond 2^53 get two records, and the handler sees each exact id', async () => {
    const seen = await sqsRuns([`{"orderId": ${BIG_A}}`, `{"orderId": ${BIG_B}}`], 'body.orderId');
    expect(seen).toEqual([{ orderId: 12345678901234567890n }, { orderId: 12345678901234567891n }]);
  });

  it('a decimal that a number cannot hold is not 0.1', async () => {
    const seen = await sqsRuns([LONG_DECIMAL, '0.1', '0.10'], 'body');
    expect(seen.map(String)).toEqual([LONG_DECIMAL, '0.1']);
  });
});

describe('Kinesis data and Kafka values', () => {
  it('Kinesis: two records whose ids differ beyond 2^53 are two events', async () => {
    const seen: unknown[] = [];
    const store = new InMemoryStore();
    for (const text of [`{"orderId": ${BIG_A}}`, `{"orderId": ${BIG_B}}`]) {
      await processStreamBatch(kinesisEvent(kinesisRecords([text])), (_record, { data }) => void seen.push(data), {
        store,
        key: (_record: unknown, info: unknown) => (info as { data: { orderId: unknown } }).data.orderId,
        name: 'json-kinesis',
        logger: quiet,
      });
    }
    expect(seen).toEqual([{ orderId: 12345678901234567890n }, { orderId: 12345678901234567891n }]);
  });

  it('Kafka: two values whose decimals differ beyond a double are two events', async () => {
    const seen: unknown[] = [];
    const store = new InMemoryStore();
    for (const [offset, text] of [`{"amount": ${LONG_DECIMAL}}`, '{"amount": 0.1}'].entries()) {
      await processStreamBatch(
        mskEvent([kafkaRecord({ topic: 'orders', partition: 0, offset, value: text })]),
        (_record, { value }) => void seen.push(value),
        { store, key: (_record: unknown, info: unknown) => (info as { value: unknown }).value, name: 'json-kafka', logger: quiet },
      );
    }
    expect(seen.map((value) => String((value as { amount: unknown }).amount))).toEqual([LONG_DECIMAL, '0.1']);
  });
});

// ------------------------------------------------------------------------------------------------ property

/** A JSON value whose numbers are decimal values (sign, significant digits, power of ten). */
type Model =
  | null
  | boolean
  | string
  | { readonly num: { negative: boolean; digits: string; exponent: number } }
  | Model[]
  | { readonly obj: [string, Model][] };

const decimal = fc
  .tuple(fc.boolean(), fc.stringMatching(/^[1-9]\d{0,39}$/), fc.integer({ min: -400, max: 400 }))
  .map(([negative, digits, exponent]) => {
    const trimmed = digits.replace(/0+$/, '');
    return { negative, digits: trimmed, exponent: exponent + (digits.length - trimmed.length) };
  });
const number = fc.oneof(decimal, fc.constant({ negative: false, digits: '0', exponent: 0 })).map((num) => ({ num }));

const { model } = fc.letrec<{ model: Model }>((tie) => ({
  model: fc.oneof(
    { depthSize: 'small' },
    number,
    number,
    fc.string({ maxLength: 3 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('model'), { maxLength: 3 }),
    fc
      .uniqueArray(fc.tuple(fc.string({ maxLength: 2 }), tie('model')), { maxLength: 3, selector: ([name]) => name })
      .map((obj) => ({ obj })),
  ),
}));

/** One of the many JSON spellings of a number: the point anywhere, trailing zeros, an exponent or none. */
function spellNumber(num: { negative: boolean; digits: string; exponent: number }, choice: number): string {
  const zeros = choice % 3;
  if (num.digits === '0') {
    const point = zeros === 0 ? '' : `.${'0'.repeat(zeros)}`;
    return `${choice % 2 === 1 ? '-' : ''}0${point}${choice % 4 < 2 ? '' : `e${(choice % 9) - 4}`}`;
  }
  const mantissa = num.digits + '0'.repeat(zeros);
  const fraction = Math.floor(choice / 3) % (mantissa.length + 1);
  const exponent = num.exponent - zeros + fraction;
  const whole = mantissa.slice(0, mantissa.length - fraction) || '0';
  const digits = fraction === 0 ? whole : `${whole}.${mantissa.slice(mantissa.length - fraction)}`;
  const sign = num.negative || (num.digits === '0' && choice % 2 === 1) ? '-' : '';
  const e =
    exponent === 0 && choice % 4 < 2 ? '' : `${choice % 5 === 0 ? 'E' : 'e'}${exponent >= 0 && choice % 7 === 0 ? '+' : ''}${exponent}`;
  return `${sign}${digits}${e}`;
}

function spell(value: Model, choices: () => number): string {
  const space = (): string => [' ', '', '\n', ''][choices() % 4] as string;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${space()}${value.map((item) => spell(item, choices)).join(`,${space()}`)}]`;
  if ('num' in value) return spellNumber(value.num, choices());
  const members = value.obj.map(([name, item]) => `${JSON.stringify(name)}${space()}:${spell(item, choices)}`);
  // Member order never matters.
  if (choices() % 2 === 1) members.reverse();
  return `{${members.join(',')}}`;
}

/** The same value, written one way: numbers by value, members sorted. */
function valueOf(value: Model): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(valueOf);
  if ('num' in value) return `${value.num.negative ? '-' : ''}${value.num.digits}e${value.num.exponent}`;
  return { obj: value.obj.map(([name, item]) => [name, valueOf(item)]).sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)) };
}

const spelled = fc.tuple(model, fc.array(fc.nat(), { minLength: 64, maxLength: 64 })).map(([value, picks]) => {
  let i = 0;
  return { value, text: spell(value, () => (picks[(i += 1) % picks.length] as number) + i) };
});

describe('property: two JSON texts give the same key exactly when they denote the same value', () => {
  it('numbers of any length and precision, spelled any way, in any structure', () => {
    fc.assert(
      fc.property(
        spelled,
        fc.oneof(
          spelled,
          spelled.map((x) => x),
        ),
        fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
        (a, other, picks) => {
          // Half the time, the same value spelled another way.
          const b = picks[0]! % 2 === 0 ? other : { value: a.value, text: spell(a.value, () => picks[(picks[1]! += 1) % 64]!) };
          const same = JSON.stringify(valueOf(a.value)) === JSON.stringify(valueOf(b.value));
          expect(canonicalize(parseJson(a.text)) === canonicalize(parseJson(b.text))).toBe(same);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
