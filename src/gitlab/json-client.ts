import {
  BaseResource,
  createRequesterFn,
  type FormattedResponse,
  type RequesterType,
} from '@gitbeaker/requester-utils';
import { z } from 'zod';
import { describeFailure, serviceError } from '../errors/failure.js';
import type { Page } from './ports.js';

/**
 * env-reaper's GitLab REST client: a route, a zod schema that turns the wire answer into a domain fact,
 * nothing else (Renovate's `getJson(url, schema)`). Every REST read and write goes through it; the
 * answer is parsed, never cast. Under it sits @gitbeaker/rest's requester (auth headers, query
 * formatting, JSON bodies), and under that our request handler (`http.ts`: pacing, retries, the typed
 * error). A failure leaves it as the boundary's `ExternalServiceError`, named by its route.
 */

/** Query parameters: gitbeaker's requester writes them in GitLab's snake_case. */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** A JSON body of a write. */
export type Body = Record<string, string | number | boolean | undefined>;

/** A request path built by `path`: each value encoded as one segment. */
export interface ApiPath {
  readonly path: string;
  /** The route with its values replaced by `:id`, the name a failure carries. */
  readonly route: string;
}

/**
 * A GitLab API path with every value encoded as one path segment (`acme/shop` → `acme%2Fshop`, as
 * GitLab wants namespaced paths and branch names). Written here because gitbeaker keeps its own
 * `endpoint` helper private.
 */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): ApiPath {
  let p = strings[0] ?? '';
  let route = p;
  values.forEach((v, i) => {
    p += encodeURIComponent(String(v)) + (strings[i + 1] ?? '');
    route += `:id${strings[i + 1] ?? ''}`;
  });
  return { path: p, route: `/${route}` };
}

/** The JSON client's calls. */
export interface GitLabJson {
  get<T>(at: ApiPath, schema: z.ZodType<T>, query?: Query): Promise<T>;
  /** `null` when GitLab answers 404. */
  find<T>(at: ApiPath, schema: z.ZodType<T>, query?: Query): Promise<T | null>;
  /** One page of a listing (offset pagination, GitLab's `X-Next-Page` / `X-Total-Pages`). */
  page<T>(at: ApiPath, item: z.ZodType<T>, page: number, query?: Query): Promise<Page<T>>;
  post<T>(at: ApiPath, schema: z.ZodType<T>, body?: Body): Promise<T>;
  put<T>(at: ApiPath, schema: z.ZodType<T>, body?: Body): Promise<T>;
  delete(at: ApiPath): Promise<void>;
}

/** Page size for every listing: GitLab's maximum. */
export const PER_PAGE = 100;

/** The request handler the requester calls (`http.ts`). */
export type RequestHandler = (
  endpoint: string,
  options?: Record<string, unknown>,
) => Promise<FormattedResponse>;

/** Where and who: the instance URL and one of the two token kinds. */
export interface JsonClientOptions {
  url: string;
  token?: string | undefined;
  jobToken?: string | undefined;
}

/** `X-Next-Page` and `X-Total-Pages`: an empty or absent header means none (GitLab omits totals over 10,000 rows). */
const pageNumber = z
  .string()
  .optional()
  .transform((v) => (v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : null));

/** One array schema per item schema, built once instead of once per page. */
const arrays = new WeakMap<z.ZodType, z.ZodType>();
function arrayOf<T>(item: z.ZodType<T>): z.ZodType<T[]> {
  const known = arrays.get(item);
  if (known) return known as z.ZodType<T[]>;
  const made = z.array(item);
  arrays.set(item, made);
  return made;
}

/** gitbeaker's requester on our handler: auth headers, query and body formatting are its own. */
function requesterOf(options: JsonClientOptions, handler: RequestHandler): RequesterType {
  const auth = options.token ? { token: options.token } : { jobToken: options.jobToken ?? '' };
  return new BaseResource({
    host: options.url,
    ...auth,
    requesterFn: createRequesterFn((_, reqo) => Promise.resolve(reqo), handler),
  }).requester;
}

/** Creates the JSON client over the run's request handler (one pacer, one budget). */
export function createGitLabJson(options: JsonClientOptions, handler: RequestHandler): GitLabJson {
  const requester = requesterOf(options, handler);
  /** Runs one call; a failure, a malformed answer included, is the boundary's typed error. */
  const call = async <T>(method: string, at: ApiPath, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw serviceError(error, 'gitlab', `${method} ${at.route}`);
    }
  };
  const searchParams = (query: Query | undefined) => (query ? { searchParams: query } : {});
  return {
    get: (at, schema, query) =>
      call('GET', at, async () => schema.parse((await requester.get(at.path, searchParams(query))).body)),
    async find(at, schema, query) {
      try {
        return await this.get(at, schema, query);
      } catch (error) {
        if (describeFailure(error).code === 'NOT_FOUND') return null;
        throw error;
      }
    },
    page: (at, item, page, query) =>
      call('GET', at, async () => {
        const res = await requester.get(at.path, { searchParams: { ...query, perPage: PER_PAGE, page } });
        const headers = z
          .object({ 'x-next-page': pageNumber, 'x-total-pages': pageNumber })
          .parse(lowerCase(res.headers));
        return {
          items: arrayOf(item).parse(res.body),
          nextPage: headers['x-next-page'],
          totalPages: headers['x-total-pages'],
        };
      }),
    post: (at, schema, body) =>
      call('POST', at, async () => schema.parse((await requester.post(at.path, body ? { body } : {})).body)),
    put: (at, schema, body) =>
      call('PUT', at, async () => schema.parse((await requester.put(at.path, body ? { body } : {})).body)),
    delete: (at) =>
      call('DELETE', at, async () => {
        await requester.delete(at.path);
      }),
  };
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
