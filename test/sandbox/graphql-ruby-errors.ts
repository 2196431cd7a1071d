import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';
import { didYouMean } from './did-you-mean.js';

/**
 * graphql-js's validation errors as graphql-ruby reports them (GitLab renders them as they are, HTTP 200
 * and no `data`): graphql-ruby's message texts with its did-you-mean suffix, `locations`, a `path` that
 * starts with the operation (`"query Name"`) and runs through field aliases (and, for an argument, its
 * name), and `extensions` with graphql-ruby's `code` (`static_validation/error.rb`, `base_visitor.rb`,
 * `rules/*_error.rb`). graphql-ruby stops at 5 errors (GitLab's `validate_max_errors 5`). A variable used
 * only inside a rejected field or argument is reported unused, as graphql-ruby never visits it.
 */
export function rubyValidationErrors(
  schema: GraphQLSchema,
  doc: DocumentNode,
  errors: readonly GraphQLError[],
): GraphQLError[] {
  const paths = new Map<unknown, (string | number)[]>();
  const op = getOperationAST(doc);
  const opName = op ? `${op.operation}${op.name ? ` ${op.name.value}` : ''}` : 'query';
  const walk = (set: SelectionSetNode | undefined, at: string[]) => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind !== Kind.FIELD) continue;
      const here = [...at, sel.alias?.value ?? sel.name.value];
      paths.set(sel, here);
      for (const a of sel.arguments ?? []) paths.set(a, [...here, a.name.value]);
      walk(sel.selectionSet, here);
    }
  };
  if (op) walk(op.selectionSet, [opName]);
  // Ruby's DidYouMean over the type's fields or the field's arguments, as graphql-ruby offers them.
  const fieldsOf = (type: string) => {
    const t = schema.getType(type);
    return isObjectType(t) ? Object.keys(t.getFields()) : [];
  };
  const argsOf = (type: string, field: string) => {
    const t = schema.getType(type);
    return isObjectType(t) ? (t.getFields()[field]?.args.map((x) => x.name) ?? []) : [];
  };
  const out: GraphQLError[] = [];
  // Nodes graphql-ruby does not descend into: a field it cannot find, an argument it does not accept.
  const rejected = new Set<unknown>();
  for (const e of errors) {
    const node = e.nodes?.[0];
    const path = node ? paths.get(node) : undefined;
    const field = /^Cannot query field "(\w+)" on type "(\w+)"/.exec(e.message);
    const arg = /^Unknown argument "(\w+)" on field "(\w+)\.(\w+)"/.exec(e.message);
    const unknownType = /^Unknown type "(\w+)"/.exec(e.message);
    // graphql-js counts a variable used inside a rejected node; graphql-ruby does not (below).
    if (/^Variable "\$\w+" is never used/.test(e.message)) continue;
    let message = e.message;
    let extensions: Record<string, unknown> = {};
    if (field) {
      rejected.add(node);
      message = `Field '${field[1]}' doesn't exist on type '${field[2]}'${didYouMean(field[1] as string, fieldsOf(field[2] as string))}`;
      extensions = { code: 'undefinedField', typeName: field[2], fieldName: field[1] };
    } else if (arg && path) {
      rejected.add(node);
      // graphql-ruby names the field by its alias when it has one (`parent.alias || parent.name`).
      const owner = String(path[path.length - 2]);
      message = `Field '${owner}' doesn't accept argument '${arg[1]}'${didYouMean(arg[1] as string, argsOf(arg[2] as string, arg[3] as string))}`;
      extensions = { code: 'argumentNotAccepted', name: owner, typeName: 'Field', argumentName: arg[1] };
    } else if (unknownType) {
      const named = (t: TypeNode): string => (t.kind === Kind.NAMED_TYPE ? t.name.value : named(t.type));
      const v = op?.variableDefinitions?.find((d) => named(d.type) === unknownType[1]);
      const name = v?.variable.name.value ?? '';
      message = `${unknownType[1]} isn't a defined input type (on $${name})`;
      extensions = { code: 'variableRequiresValidType', typeName: unknownType[1], variableName: name };
    }
    out.push(new GraphQLError(message, { nodes: e.nodes ?? null, path: path ?? [opName], extensions }));
  }
  // VariablesAreUsedAndDefined: after the document, a variable no visited node uses, with the operation's
  // location and path (`usage.path` is taken inside on_operation_definition, once the operation is pushed).
  const used = new Set<string>();
  const uses = (node: unknown): void => {
    if (rejected.has(node) || node === null || typeof node !== 'object') return;
    const n = node as { kind?: string; name?: { value: string } };
    if (n.kind === Kind.VARIABLE && n.name) used.add(n.name.value);
    for (const [k, v] of Object.entries(node)) {
      if (k === 'loc') continue;
      if (Array.isArray(v)) v.forEach(uses);
      else uses(v);
    }
  };
  if (op) uses(op.selectionSet);
  for (const d of op?.variableDefinitions ?? []) {
    const name = d.variable.name.value;
    if (used.has(name)) continue;
    out.push(
      new GraphQLError(
        `Variable $${name} is declared by ${op?.name?.value ?? 'anonymous query'} but not used`,
        {
          nodes: op ?? null,
          path: [opName],
          extensions: { code: 'variableNotUsed', variableName: name },
        },
      ),
    );
  }
  return out.slice(0, 5);
}
