/** What test/compose/global-setup.ts gives the compose lane's test files (vitest `inject`). */
export interface PlatformUnderTest {
  url: string;
  username: string;
  password: string;
  project: string;
  screenshotsDir: string;
  /** DOCKER_HOST of the daemon the platform runs on. */
  dockerHost: string;
  mlflowUrl: string;
  s3Endpoint: string;
  /** Where the pipeline deploys in this run, and the kubectl to look with. */
  deploy: { target: 'kubernetes'; namespace: string; kubectl: string[] } | { target: 'ecr'; reason: string };
  /** The Slack webhook the platform posts to, and the sink's endpoint listing what it received. */
  webhookUrl: string;
  webhookReceived: string;
  /** Every secret of the platform's .env (and the webhook URL): none may show up in DAG files, XComs, rendered fields or logs. */
  secrets: Record<string, string>;
  /** The compose command line for this project (binary and its global arguments). */
  compose: string[];
  composeEnv: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    platform: PlatformUnderTest;
    platformSkip?: string;
  }
}
