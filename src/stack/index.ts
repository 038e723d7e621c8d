export { stackDown, stackStatus, stackUp, infoFrom, logFile } from './stack.ts';
export type { ServiceStatus, StackEvent, StackInfo, StackOptions, StackStatus } from './stack.ts';
export { stackEnv, FAKE_AWS_CREDENTIALS } from './env.ts';
export { ServiceStartError, StackError } from './errors.ts';
export { DEFAULT_STATE_DIR, SERVICE_NAMES, defaultStateDir, readState } from './state.ts';
export type { ServiceName, ServiceRecord, StackState } from './state.ts';
export { SERVICES } from './services.ts';
