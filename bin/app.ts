/**
 * The CDK app run by `cdk.json` (`npx cdk synth`): the example stack with cdk-nag checks.
 */
import { buildExampleApp } from './example-stack';

buildExampleApp().app.synth();
