import { z } from 'zod';
import { invalidParameter } from '../errors.ts';
import { parseInput } from '../functions.ts';
import { jsonBody } from './body.ts';
import type { LambdaHandlers } from './types.ts';
import { unqualified } from './versions.ts';

/** AWS's default account concurrency limit, and the part of it that reservations may not take. */
export const ACCOUNT_CONCURRENCY = 1000;
const MIN_UNRESERVED = 100;

const putConcurrencyInput = z.object({
  ReservedConcurrentExecutions: z.number().int().min(0, 'Member must have value greater than or equal to 0'),
});

/** Reserved concurrency (PutFunctionConcurrency...) and the account's limits (GetAccountSettings). */
export const concurrencyOperations: LambdaHandlers = {
  PutFunctionConcurrency(ctx, request, { FunctionName }) {
    const fn = ctx.find(unqualified(FunctionName));
    const { ReservedConcurrentExecutions: reserved } = parseInput(putConcurrencyInput, jsonBody(request));
    if (ACCOUNT_CONCURRENCY - ctx.metadata.reservedConcurrencyTotal(fn.name) - reserved < MIN_UNRESERVED) {
      throw invalidParameter(
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED}].`,
      );
    }
    ctx.metadata.setReservedConcurrency(fn.name, reserved);
    return { status: 200, body: { ReservedConcurrentExecutions: reserved } };
  },

  GetFunctionConcurrency(ctx, _request, { FunctionName }) {
    const fn = ctx.find(unqualified(FunctionName));
    const body = fn.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: fn.reservedConcurrency };
    return { status: 200, body };
  },

  DeleteFunctionConcurrency(ctx, _request, { FunctionName }) {
    const fn = ctx.find(unqualified(FunctionName));
    ctx.metadata.setReservedConcurrency(fn.name, null);
    return { status: 204 };
  },

  GetAccountSettings(ctx) {
    const usage = ctx.metadata.usage();
    return {
      status: 200,
      body: {
        AccountLimit: {
          TotalCodeSize: 80_530_636_800,
          CodeSizeUnzipped: 262_144_000,
          CodeSizeZipped: 52_428_800,
          ConcurrentExecutions: ACCOUNT_CONCURRENCY,
          UnreservedConcurrentExecutions: ACCOUNT_CONCURRENCY - ctx.metadata.reservedConcurrencyTotal(),
        },
        AccountUsage: { TotalCodeSize: usage.totalCodeSize, FunctionCount: usage.functionCount },
      },
    };
  },
};
