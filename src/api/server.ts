/**
 * The container's entry point (`node server.mjs`): reads the environment and MODEL_DIR,
 * listens, loads and warms up the model (readiness turns 200), and exits 1 if the model
 * cannot be served. On SIGTERM/SIGINT readiness turns 503 at once, the listener closes after
 * SHUTDOWN_DELAY_MS, in-flight requests finish, and the process exits 0 (1 if they take
 * longer than SHUTDOWN_TIMEOUT_MS, or on a second signal). Logs are pino JSON lines on stdout.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { buildApp } from './app.ts';
import { loadServerEnv, readModelDir } from './config.ts';

async function main(): Promise<void> {
  const bootLogger = createLogger(process.env.LOG_LEVEL === 'silent' ? 'silent' : 'info');
  let env;
  let files;
  try {
    env = loadServerEnv();
    files = await readModelDir(env.MODEL_DIR);
  } catch (error) {
    bootLogger.fatal({ err: error }, (error as Error).message);
    process.exit(1);
  }
  const logger = createLogger(env.LOG_LEVEL);
  const app = buildApp({
    model: { onnx: files.onnxPath, metadata: files.metadata },
    modelInfo: files.info,
    batchLimit: env.BATCH_LIMIT,
    maxBatchRows: env.MAX_BATCH_ROWS,
    sessionOptions: { intraOpNumThreads: env.INFERENCE_THREADS, interOpNumThreads: 1 },
    logger,
    processMetrics: true,
  });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.modelService.beginShutdown();
    logger.info({ signal, delayMs: env.SHUTDOWN_DELAY_MS }, 'shutting down: readiness is 503; finishing in-flight requests');
    setTimeout(() => {
      logger.error({ timeoutMs: env.SHUTDOWN_TIMEOUT_MS }, 'in-flight requests did not finish in time: exiting');
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS).unref();
    if (env.SHUTDOWN_DELAY_MS > 0) await delay(env.SHUTDOWN_DELAY_MS);
    logger.info('closing the listener; waiting for in-flight requests');
    await app.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));

  await app.listen({ port: env.PORT, host: env.HOST });
  await app.modelService.load();
  if (app.modelService.state === 'failed') {
    logger.fatal({ model: files.info }, `cannot serve: ${app.modelService.reason}`);
    await app.close();
    process.exit(1);
  }
  if (app.modelService.ready) logger.info({ model: files.info, threshold: files.metadata.threshold }, 'model loaded and warmed up: ready');
}

function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'health-predict-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

await main();
