import type { FinalizeRequestMiddleware, InitializeMiddleware, MiddlewareStack } from '@aws-sdk/types';
import type { ExternalServiceError } from '../errors/errors.js';
import { serviceError } from '../errors/failure.js';
import type { ApiStats } from '../util/api-stats.js';
import type { RequestPacer } from '../util/pacer.js';

/**
 * The AWS side's boundary: two middlewares on every SDK client. The outermost turns every failure,
 * credentials and retries included, into one `ExternalServiceError` with a closed code and the operation
 * (`ListImports`); the innermost counts (and paces) every attempt.
 */

/** Any SDK client: its middleware stack is all this module touches. */
interface Client<I extends object, O extends object> {
  middlewareStack: MiddlewareStack<I, O>;
}

const operationOf = (commandName: string | undefined) => (commandName ?? 'unknown').replace(/Command$/, '');

/**
 * CloudFormation has no error code for a stack that is not there, nor for an export nobody imports: it
 * answers `ValidationError` with "Stack with id … does not exist" or "Export '…' is not imported by any
 * stack". Its message is the only word for either, read here, at the boundary, and nowhere else.
 */
const MISSING = /^Stack (with id )?\S+ does not exist|^Export '.*' is not imported by any stack/;

/** The failure as the boundary's typed error. */
export function awsFailure(error: unknown, service: string, operation: string): ExternalServiceError {
  const typed = serviceError(error, service, operation);
  if (typed.serviceCode === 'ValidationError' && MISSING.test(typed.message))
    return Object.assign(typed, { code: 'NOT_FOUND' as const });
  return typed;
}

/** Adds the boundary middleware: every failure leaves the client classified and named by its operation. */
export function classifyFailures<I extends object, O extends object>(
  client: Client<I, O>,
  service: string,
): void {
  const middleware: InitializeMiddleware<I, O> = (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      throw awsFailure(error, service, operationOf(context.commandName));
    }
  };
  client.middlewareStack.add(middleware, {
    step: 'initialize',
    name: 'envReaperFailures',
    priority: 'high',
  });
}

/** Counts every attempt, retries included (they cost rate limit too), and paces them when asked. */
export function countAttempts<I extends object, O extends object>(
  client: Client<I, O>,
  stats: ApiStats,
  service: string,
  pacer?: RequestPacer,
): void {
  const middleware: FinalizeRequestMiddleware<I, O> = (next, context) => async (args) => {
    const op = operationOf(context.commandName);
    // Runs per attempt (after the SDK's retry middleware), so retries are paced too.
    await pacer?.acquire();
    try {
      const out = await next(args);
      stats.call(service, op);
      return out;
    } catch (error) {
      stats.call(service, op, true);
      throw error;
    } finally {
      pacer?.settled();
    }
  };
  client.middlewareStack.add(middleware, {
    step: 'finalizeRequest',
    name: 'envReaperApiStats',
    priority: 'low',
  });
}
