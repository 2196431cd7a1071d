/**
 * Secret scrubbing for free text (error messages, status reasons, log lines). Structured fields are
 * redacted by path in the logger; this catches secrets that other code embedded in a string: a URL with
 * `private_token=` or credentials in it, an echoed `Authorization` or `PRIVATE-TOKEN` header, a presigned
 * AWS URL, a GitLab token by its prefix, and the exact values of the secrets this process was given.
 * Hand-written: the patterns are GitLab's and AWS's own formats.
 */
// @ts-nocheck


const CENSOR = '[redacted]';

const PATTERNS: [RegExp, string][] = [
  // Query parameters that carry credentials (GitLab and AWS SigV4 presigned URLs).
  [
    /([?&;](?:private_token|access_token|job_token|token|password|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s"'#]*/gi,
    `$1${CENSOR}`,
  ],
  // Echoed headers.
  [
    /((?:authorization|private-token|job-token|x-amz-security-token)(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)(?:bearer\s+|basic\s+)?[^\s,"'\\;}]+/gi,
    `$1${CENSOR}`,
  ],
  // user:password@ in a URL.
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@"']+:[^/\s@"']+@/gi, `$1${CENSOR}@`],
  // GitLab tokens by prefix (personal, deploy, pipeline trigger, runner, OAuth, CI build, feed, …).
  [/\bgl(?:pat|dt|ptt|rt|oas|cbt|ft|imt|agent|soat|ffct|ffsat)-[A-Za-z0-9_.-]{8,}/g, CENSOR],
];

/** Environment variables whose values are secrets wherever they appear. */
export const SECRET_ENV = [
  'GITLAB_TOKEN',
  'CI_JOB_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'ENV_REAPER_GITLAB_TOKEN',
];

/** The secret values found in an environment (short values are ignored: they would censor ordinary words). */
export function secretValues(env: Record<string, string | undefined>): string[] {
  return SECRET_ENV.map((k) => env[k]).filter((v): v is string => typeof v === 'string' && v.length >= 8);
}

/** `text` with every known secret value and every credential-shaped substring replaced by `[redacted]`. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join(CENSOR);
  for (const [re, by] of PATTERNS) out = out.replace(re, by);
  return out;
}

/** {@link redactText} with the secrets of this process's environment. */
export function redactProcessSecrets(text: string): string {
  return redactText(text, secretValues(process.env));
}
