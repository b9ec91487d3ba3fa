import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** The finished spans, which `GET /spans` lists: a stand-in for a real exporter. */
export const finishedSpans = new InMemorySpanExporter();

// The minimal SDK setup of docs/observability.md, before the app is created.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(finishedSpans)] }),
);
