import { z } from 'zod';
import { ACTIONS } from '../core/model.js';
import { DELETE_FAILED_HANDLINGS, TEARDOWN_MODES } from '../core/teardown.js';
import { duration } from './schema-parts.js';

/** The `ownership` and `policy` sections of the config schema (what decides a verdict and its action). */

const keepOrFlag = z.enum(['keep', 'flag']);
const anyAction = z.enum(ACTIONS.filter((a) => a !== 'stop'));

const tags = z
  .strictObject({
    projectId: z.string().default('gitlab:project-id').meta({
      description: 'Tag holding $CI_PROJECT_ID. Preferred owner key: survives project renames and moves.',
    }),
    projectPath: z
      .string()
      .default('gitlab:project-path')
      .meta({ description: 'Tag holding $CI_PROJECT_PATH; used when no project id tag is present.' }),
    ref: z
      .string()
      .default('gitlab:ref')
      .meta({ description: 'Tag holding the exact branch ($CI_COMMIT_REF_NAME).' }),
    refSlug: z
      .string()
      .default('gitlab:ref-slug')
      .meta({ description: 'Tag holding $CI_COMMIT_REF_SLUG; always settable, may match several branches.' }),
    environment: z
      .string()
      .default('gitlab:environment')
      .meta({ description: 'Tag holding $CI_ENVIRONMENT_NAME; used for the environment tier and teardown.' }),
    environmentSlug: z
      .string()
      .default('gitlab:environment-slug')
      .meta({ description: 'Tag holding $CI_ENVIRONMENT_SLUG; informational (the slug is lossy).' }),
    mrIid: z
      .string()
      .default('gitlab:mr-iid')
      .meta({ description: 'Tag holding $CI_MERGE_REQUEST_IID, for MR notes.' }),
    keep: z.string().default('env-reaper:keep').meta({
      description: 'Tag a human sets to `true` (never reap) or `YYYY-MM-DD` (not before that date).',
    }),
    alsoKeep: z.array(z.string()).default(['env-reaper:keep']).meta({
      description:
        'Keep tags honoured besides `keep`: after `keep` is changed, stacks still tagged with the former key stay protected (their reason names the former key). Set [] to drop a former key on purpose.',
    }),
  })
  .prefault({})
  .meta({ description: 'Stack tag keys that tie a stack to GitLab (docs/design.md §3).' });

const namePattern = z.strictObject({
  pattern: z
    .string()
    .refine(
      (p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      },
      { error: 'expected a valid regular expression' },
    )
    .meta({
      description:
        'Regex matched against the stack name, with named groups project, projectId, ref, refSlug, environmentSlug.',
    }),
});

const actions = z
  .strictObject({
    protected: keepOrFlag.default('keep').meta({
      description: 'Keep-tagged, terminated-protected, default/protected-branch or production-tier stacks.',
    }),
    busy: keepOrFlag
      .default('keep')
      .meta({ description: 'A stack operation is in progress: look again next run.' }),
    'delete-failed': anyAction
      .default('flag')
      .meta({ description: 'Stack is DELETE_FAILED: a human usually has to look.' }),
    unknown: keepOrFlag.default('keep').meta({ description: 'Evidence could not be read: fail closed.' }),
    unowned: anyAction
      .default('flag')
      .meta({ description: 'In scope by name, but no project could be resolved.' }),
    'project-gone': anyAction
      .default('flag')
      .meta({ description: 'Project 404 or archived (404 may also mean no access).' }),
    merged: anyAction
      .default('delete')
      .meta({ description: 'The branch was merged and no MR from it is open.' }),
    'branch-deleted': anyAction
      .default('delete')
      .meta({ description: 'The branch is gone and no MR from it is open.' }),
    abandoned: anyAction
      .default('flag')
      .meta({ description: 'Branch exists, its MRs were all closed unmerged.' }),
    idle: anyAction.default('flag').meta({ description: 'No activity for idleAfterDays.' }),
    active: keepOrFlag.default('keep').meta({ description: 'Everything else.' }),
  })
  .prefault({})
  .meta({
    description:
      'Verdict → keep | flag | delete. delete is accepted only for merged, branch-deleted, abandoned, idle, project-gone, unowned, delete-failed.',
  });

const grace = z
  .strictObject({
    merged: duration().prefault('1h').meta({ description: 'Wait after the MR merge before deleting.' }),
    branchDeleted: duration()
      .prefault('2h')
      .meta({ description: 'Wait after the MR close (else first observation, else last stack update).' }),
    abandoned: duration().prefault('7d').meta({ description: 'Wait after the last MR was closed unmerged.' }),
    idle: duration().prefault('0s').meta({ description: 'Wait after the idle threshold was crossed.' }),
    projectGone: duration()
      .prefault('1d')
      .meta({ description: 'Wait after the project was first seen gone.' }),
    unowned: duration().prefault('1d').meta({ description: 'Wait after the stack was first seen unowned.' }),
    deleteFailed: duration()
      .prefault('0s')
      .meta({ description: 'Wait after the failed deletion before retrying.' }),
  })
  .prefault({})
  .meta({ description: 'Grace periods, counted from the evidence time of each verdict.' });

const protect = z
  .strictObject({
    stackNames: z
      .array(z.string())
      .default([])
      .meta({
        description: 'Regexes: stacks whose name matches are protected.',
        examples: [['^shared-', '-prod$']],
      }),
    branches: z
      .array(z.string())
      .default([])
      .meta({
        description: 'Branch globs (`*` wildcard) treated as protected, on top of GitLab protected branches.',
        examples: [['release/*']],
      }),
    tiers: z
      .array(z.string())
      .default(['production', 'staging'])
      .meta({ description: 'GitLab environment tiers that are never reaped.' }),
    mrLabels: z.array(z.string()).default(['env-reaper::keep']).meta({
      description: 'MR labels that keep the environment while present; re-read right before any deletion.',
    }),
  })
  .prefault({})
  .meta({ description: 'What is protected beyond keep tags and termination protection.' });

/** `ownership`: how stacks are tied to GitLab projects and branches. */
export const ownershipSection = z
  .strictObject({
    tags,
    stackNamePatterns: z
      .array(namePattern)
      .default([])
      .meta({
        description: 'Bring untagged stacks in scope by name; tried in order, first match wins.',
        examples: [[{ pattern: '^review-(?<project>[a-z0-9-]+?)-(?<refSlug>[a-z0-9-]+)$' }]],
      }),
    projects: z
      .record(z.string(), z.union([z.string(), z.number().int()]))
      .prefault({})
      .meta({
        description: 'Maps the `project` group of a name pattern to a project path or id.',
        examples: [{ shop: 'acme/shop' }],
      }),
  })
  .prefault({})
  .meta({ description: 'How stacks are tied to GitLab projects and branches.' });

/** `policy`: what happens to each verdict, and when. */
export const policySection = z
  .strictObject({
    actions,
    grace,
    unused: z.enum(['keep', 'flag', 'stop']).default('flag').meta({
      description:
        "What happens to an `unused` environment (branch and MR alive, no request for usage.window; needs usage.enabled): flag it (report, dashboard, one MR notice), keep it (report only), or stop it through the environment's own on_stop job (never DeleteStack: the MR is open; the notice says how to bring it back). stop counts against the brakes like a deletion.",
    }),
    idleAfterDays: z.number().int().min(1).default(14).meta({
      description: 'Days without commits, deployments, MR updates or stack updates before `idle`.',
    }),
    minAgeHours: z.number().min(0).default(1).meta({
      description: 'Never delete a stack changed less than this long ago, so in-flight deploys are safe.',
    }),
    onDeleteFailed: z.enum(DELETE_FAILED_HANDLINGS).default('report').meta({
      description:
        'DELETE_FAILED handling: report it, retry retaining failed resources, FORCE_DELETE_STACK, or empty-and-retry (empty the failed S3 buckets / ECR repositories the stack itself owns, by ListStackResources, then retry once; every emptied resource counts against limits.maxDeletionsPerRun). Default report: emptying destroys data.',
    }),
    teardown: z.enum(TEARDOWN_MODES).default('delete-stack').meta({
      description:
        "How a due stack with a GitLab environment is torn down: delete-stack (DeleteStack, then force-stop the environment), stop-job (stop the environment so GitLab runs its on_stop job, and follow the stack until DELETE_COMPLETE or limits.stopJobTimeout), or stop-job-then-delete (stop-job, and DeleteStack when the job is missing, fails or leaves the stack). Opt-in: a stop job runs the project's own CI code.",
    }),
    teardownProjects: z
      .record(z.string(), z.enum(TEARDOWN_MODES))
      .default({})
      .meta({
        description: 'policy.teardown per project (key: project path or id).',
        examples: [{ 'acme/shop': 'stop-job-then-delete' }],
      }),
    stopGhostEnvironments: z.boolean().default(false).meta({
      description:
        'With apply, stop ghost environments (force, so no on_stop job runs against a gone stack).',
    }),
    deleteEnvironments: z
      .boolean()
      .default(false)
      .meta({ description: 'Delete (not only stop) the GitLab environment after the stack is gone.' }),
    protect,
  })
  .prefault({})
  .meta({ description: 'What happens to each verdict, and when.' });
