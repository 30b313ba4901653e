/**
 * The example order consumer's pieces that need no server: its parser and its agreement with the example
 * stack (records kept as long as the queue keeps messages).
 */
import { ORDER_RETENTION } from '../../bin/example-stack';
import { ORDER_RECORD_EXPIRY_SECONDS, parseOrder } from '../../handlers/order-consumer';

describe('handlers/order-consumer', () => {
  it('keeps idempotency records exactly as long as the example queue keeps messages', () => {
    expect(ORDER_RECORD_EXPIRY_SECONDS).toBe(ORDER_RETENTION.toSeconds());
  });

  it('parses an OrderPlaced body, dropping unknown fields', () => {
    expect(parseOrder('{"orderId":"o-1","customerId":"c-1","amountCents":250,"note":"x"}')).toEqual({
      orderId: 'o-1',
      customerId: 'c-1',
      amountCents: 250,
    });
  });

  it.each([
    ['{"orderId":"o-1","customerId":"c-1"}'],
    ['{"orderId":"","customerId":"c-1","amountCents":1}'],
    ['{"orderId":"o-1","customerId":"c-1","amountCents":1.5}'],
    ['null'],
  ])('refuses %s, quoting the body', (body) => {
    expect(() => parseOrder(body)).toThrow(
      new TypeError(`Expected an OrderPlaced event ({ orderId, customerId, amountCents }), got ${body}`),
    );
  });

  it('lets JSON syntax errors through as they are', () => {
    expect(() => parseOrder('{')).toThrow(SyntaxError);
  });
});
