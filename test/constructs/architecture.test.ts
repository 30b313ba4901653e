/**
 * docs/architecture.md shows the example app as it is: its diagram is drawn from the synthesized app by
 * scripts/architecture.ts, and a change to the app without `npx tsx scripts/architecture.ts` fails here.
 */
import { diagramOf, exampleResources, syncArchitectureDoc } from '../../scripts/architecture';

describe('docs/architecture.md', () => {
  it('shows the diagram of the app as it is now (run `npx tsx scripts/architecture.ts` after changing the app)', () => {
    expect(syncArchitectureDoc().stale).toBe(false);
  });
});

describe('the architecture diagram', () => {
  let diagram: string;

  beforeAll(() => {
    diagram = diagramOf(exampleResources());
  });

  it('draws each example handler in the group of the construct that runs it', () => {
    for (const [group, handler] of [
      ['Orders', 'handlers/order-consumer.ts'],
      ['OrdersApi', 'handlers/http-orders.ts'],
      ['OrderProjection', 'handlers/stream-projection.ts'],
      ['Payments', 'handlers/payment.ts'],
    ]) {
      const section = diagram.split(`  subgraph ${group}\n`)[1]?.split('  end')[0] ?? '';
      expect(section).toContain(`Runs ${handler}`);
    }
  });

  it('draws the trigger of each triggered function', () => {
    expect(diagram).toMatch(/OrdersQueue\w+ -->\|message batches\| OrdersFunction\w+/);
    expect(diagram).toMatch(/OrdersApi\w+ -->\|POST \/orders, AWS_IAM auth\| OrdersApiFunction\w+/);
    expect(diagram).toMatch(/OrderProjectionSourceTable\w+ -->\|stream records\| OrderProjectionFunction\w+/);
    expect(diagram).toMatch(/PaymentsInvokePolicy\w+ -.->\|allows lambda:InvokeFunction\| PaymentsFunction\w+/);
  });

  it('draws the table grants: the shared idempotency table, the payments one, and the business writes', () => {
    expect(diagram).toMatch(/OrdersFunction\w+ -->\|idempotency records\| OrdersTable\w+/);
    expect(diagram).toMatch(/OrdersApiFunction\w+ -->\|idempotency records\| OrdersTable\w+/);
    expect(diagram).toMatch(/PaymentsFunction\w+ -->\|idempotency records\| PaymentsIdempotencyTable\w+/);
    expect(diagram).toMatch(/OrdersApiFunction\w+ -->\|PutItem\| OrdersApiOrdersTable\w+/);
    expect(diagram).toMatch(/PaymentsFunction\w+ -->\|PutItem\| PaymentsLedgerTable\w+/);
    expect(diagram).toMatch(/OrderProjectionFunction\w+ -->\|UpdateItem\| OrderProjectionViewsTable\w+/);
  });

  it('draws an edge from each alarm to what it watches', () => {
    const alarms = diagram.split('\n').filter((line) => /^ {4}\w+\{\{".*CloudWatch alarm"\}\}$/.test(line));
    expect(alarms).toHaveLength(10);
    for (const line of alarms) {
      const id = line.trim().split('{{')[0] as string;
      expect(diagram).toMatch(new RegExp(`\\n  ${id} -\\.->\\|\\w+\\| \\w+`));
    }
  });
});
