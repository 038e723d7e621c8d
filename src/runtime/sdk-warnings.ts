/**
 * The AWS SDK v3 warns once per process, in nine lines on stderr, that its releases after the
 * first week of January 2027 need Node >= 22 (aws/aws-sdk-js-v3#7983). In a task's log that is
 * noise in every task that touches S3 or ECR; this is the SDK's documented switch. A value
 * already in the environment wins, so the warning can be brought back.
 */
export const AWS_SDK_NODE_VERSION_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

export function silenceAwsSdkNodeVersionWarning(env: Record<string, string | undefined>): void {
  env[AWS_SDK_NODE_VERSION_WARNING_SWITCH] ??= 'true';
}
