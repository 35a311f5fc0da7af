/**
 * Microsoft Graph v1.0 metadata (CSDL) as a request checker for the tests.
 *
 * The file is Microsoft's own description of Graph v1.0 (see
 * ../shared/microsoft/README.md: the clean v1.0 metadata of
 * microsoftgraph/msgraph-metadata). It is found by walking up from the
 * repository to a `shared/microsoft/graph-v1.0-metadata.xml` (the main checkout
 * and every worktree of this machine sit under it), or at
 * DELEGATE_GRAPH_METADATA; a missing file is a loud failure, never a skip.
 * It is parsed once per test file (a tag scan of the elements needed, well
 * under a second) and cached.
 *
 * What it checks for a request (method, path after `/v1.0`, body):
 * - the path resolves through the entity container's entity sets and
 *   singletons, navigation properties (with key segments: `/x/{id}`,
 *   `x('{id}')`, `x(id='{id}')` or an alternate key), type casts, structural
 *   properties, bound actions and functions (with their parameter names), and
 *   `$ref` on a navigation that may be referenced (not contained, unless
 *   annotated Referenceable), `$count`, `$value`, `$batch` (each part checked
 *   in turn);
 * - the body's properties exist on the target type (inheritance by BaseType,
 *   `@odata.type` casts to derived types, `@odata.id`, `<nav>@odata.bind`),
 *   nested complex types recursively, primitive JSON types, non-nullable
 *   properties not set to null, enum values being members; an action's body
 *   against its parameters; a `$ref` body's `@odata.id` resolving to an entity
 *   of the navigation's type;
 * - the query's `$select`, `$expand`, `$orderby` names and the properties
 *   compared in `$filter` (and enum literals compared with them);
 * - the OData protocol's method for an operation (OData 4.01 Part 1:
 *   Protocol, 11.5.3.1 "Invoking a Function": GET; 11.5.4.1 "Invoking an
 *   Action": POST; 11.7 "Batch Requests": POST).
 *
 * What it cannot say (the README says so): which HTTP methods a path allows
 * and which properties are required on create. Those come from each call's
 * API reference page, cited next to each request builder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const METADATA = join('shared', 'microsoft', 'graph-v1.0-metadata.xml');

/** Where the metadata is: DELEGATE_GRAPH_METADATA, else the nearest `shared/microsoft/` above the repository. */
export function metadataPath(): string {
  const env = process.env.DELEGATE_GRAPH_METADATA;
  if (env) {
    if (!existsSync(env)) throw new Error(`DELEGATE_GRAPH_METADATA names ${env}, which does not exist`);
    return env;
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const tried: string[] = [];
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    const p = join(dir, METADATA);
    tried.push(p);
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `The Graph v1.0 metadata (../shared/microsoft/graph-v1.0-metadata.xml) is missing: tried ${tried.join(', ')}. ` +
      'The request-shape tests need it (set DELEGATE_GRAPH_METADATA to its path).',
  );
}

// ---------------------------------------------------------------- the model

export interface TypeRef {
  /** Qualified: `microsoft.graph.user`, `Edm.String`. */
  name: string;
  collection: boolean;
  nullable: boolean;
}

interface PropertyDef {
  name: string;
  type: TypeRef;
}

interface NavigationDef extends PropertyDef {
  containsTarget: boolean;
  /** The Capabilities NavigationRestrictions annotation's Referenceable, when given. */
  referenceable?: boolean;
}

export interface StructuredType {
  kind: 'entity' | 'complex';
  name: string;
  baseType?: string;
  abstract: boolean;
  openType: boolean;
  properties: Map<string, PropertyDef>;
  navigations: Map<string, NavigationDef>;
  /** Entity types: the key properties (declared on this type) and alternate key aliases. */
  keys: string[];
  alternateKeys: string[];
}

export interface EnumDef {
  name: string;
  flags: boolean;
  members: Set<string>;
}

interface ParameterDef {
  name: string;
  type: TypeRef;
  optional: boolean;
}

export interface OperationDef {
  kind: 'action' | 'function';
  name: string;
  namespace: string;
  binding: TypeRef;
  parameters: ParameterDef[];
  returnType?: TypeRef;
}

export interface Model {
  types: Map<string, StructuredType>;
  enums: Map<string, EnumDef>;
  /** Bound operations by unqualified name. */
  operations: Map<string, OperationDef[]>;
  entitySets: Map<string, string>;
  singletons: Map<string, string>;
  /** Types derived from each type (direct children). */
  derived: Map<string, string[]>;
}

// ---------------------------------------------------------------- parsing

const TAG = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g;
const ATTR = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function attrs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const m of text.matchAll(ATTR)) out[m[1]!] = m[2] ?? m[3] ?? '';
  return out;
}

interface Frame {
  tag: string;
  a: Record<string, string>;
}

/** Parse the CSDL into the model (a scan of the tags; the few elements needed). */
export function parseCsdl(xml: string): Model {
  const model: Model = { types: new Map(), enums: new Map(), operations: new Map(), entitySets: new Map(), singletons: new Map(), derived: new Map() };
  const aliases = new Map<string, string>();
  const stack: Frame[] = [];
  let namespace = '';
  let type: StructuredType | undefined;
  let nav: NavigationDef | undefined;
  let enumDef: EnumDef | undefined;
  let op: OperationDef | undefined;
  let param: ParameterDef | undefined;
  // Unresolved type names (aliases are declared per schema; resolved after the scan).
  const raw: { fix: () => void }[] = [];
  const externalReferenceable = new Map<string, boolean>();

  const typeRef = (t: string, nullable: string | undefined): TypeRef => {
    const m = /^Collection\((.+)\)$/.exec(t);
    const ref: TypeRef = { name: m ? m[1]! : t, collection: !!m, nullable: nullable !== 'false' };
    raw.push({ fix: () => (ref.name = qualify(ref.name)) });
    return ref;
  };
  const qualify = (name: string): string => {
    const dot = name.lastIndexOf('.');
    if (dot < 0) return name;
    const ns = name.slice(0, dot);
    const full = aliases.get(ns);
    return full ? `${full}.${name.slice(dot + 1)}` : name;
  };

  for (const m of xml.matchAll(TAG)) {
    const tag = m[2];
    if (!tag) continue; // comment or processing instruction
    const closing = m[1] === '/';
    const selfClosing = m[4] === '/';
    if (closing) {
      const f = stack.pop();
      if (f?.tag === 'EntityType' || f?.tag === 'ComplexType') type = undefined;
      else if (f?.tag === 'NavigationProperty') nav = undefined;
      else if (f?.tag === 'EnumType') enumDef = undefined;
      else if (f?.tag === 'Action' || f?.tag === 'Function') op = undefined;
      else if (f?.tag === 'Parameter') param = undefined;
      continue;
    }
    const a = attrs(m[3]!);
    switch (tag) {
      case 'Schema':
        namespace = a.Namespace!;
        if (a.Alias) aliases.set(a.Alias, namespace);
        break;
      case 'EntityType':
      case 'ComplexType': {
        type = {
          kind: tag === 'EntityType' ? 'entity' : 'complex',
          name: `${namespace}.${a.Name}`,
          baseType: a.BaseType,
          abstract: a.Abstract === 'true',
          openType: a.OpenType === 'true',
          properties: new Map(),
          navigations: new Map(),
          keys: [],
          alternateKeys: [],
        };
        const t = type;
        if (t.baseType) raw.push({ fix: () => (t.baseType = qualify(t.baseType!)) });
        model.types.set(t.name, t);
        break;
      }
      case 'Property':
        if (type && stack.at(-1)?.tag === type.kind.replace(/^./, (c) => c.toUpperCase()) + 'Type') {
          type.properties.set(a.Name!, { name: a.Name!, type: typeRef(a.Type!, a.Nullable) });
        }
        break;
      case 'NavigationProperty':
        if (type) {
          nav = { name: a.Name!, type: typeRef(a.Type!, a.Nullable), containsTarget: a.ContainsTarget === 'true' };
          type.navigations.set(nav.name, nav);
        }
        break;
      case 'PropertyRef':
        if (type && stack.at(-1)?.tag === 'Key') type.keys.push(a.Name!);
        break;
      case 'PropertyValue': {
        const parent = stack.at(-1);
        const annotation = stack.at(-2);
        const owner = stack.at(-3);
        if (a.Property === 'Referenceable' && parent?.tag === 'Record' && annotation?.tag === 'Annotation' && annotation.a.Term === 'Org.OData.Capabilities.V1.NavigationRestrictions') {
          const value = a.Bool === 'true';
          if (owner?.tag === 'NavigationProperty' && nav) nav.referenceable = value;
          else if (owner?.tag === 'Annotations' && owner.a.Target) externalReferenceable.set(owner.a.Target, value);
        }
        if (a.Property === 'Alias' && type && stack.some((f) => f.tag === 'Annotation' && f.a.Term === 'Org.OData.Core.V1.AlternateKeys')) type.alternateKeys.push(a.String!);
        break;
      }
      case 'EnumType':
        enumDef = { name: `${namespace}.${a.Name}`, flags: a.IsFlags === 'true', members: new Set() };
        model.enums.set(enumDef.name, enumDef);
        break;
      case 'Member':
        if (enumDef) enumDef.members.add(a.Name!);
        break;
      case 'Action':
      case 'Function':
        if (a.IsBound === 'true') {
          op = { kind: tag === 'Action' ? 'action' : 'function', name: a.Name!, namespace, binding: { name: '', collection: false, nullable: true }, parameters: [] };
          model.operations.set(op.name, [...(model.operations.get(op.name) ?? []), op]);
        }
        break;
      case 'Parameter':
        if (op) {
          const t = typeRef(a.Type!, a.Nullable);
          if (op.binding.name === '') op.binding = t;
          else {
            param = { name: a.Name!, type: t, optional: false };
            op.parameters.push(param);
          }
        }
        break;
      case 'ReturnType':
        if (op) op.returnType = typeRef(a.Type!, a.Nullable);
        break;
      case 'Annotation':
        if (param && a.Term === 'Org.OData.Core.V1.OptionalParameter') param.optional = true;
        break;
      case 'EntitySet': {
        const name = a.Name!;
        const ref = typeRef(a.EntityType!, undefined);
        raw.push({ fix: () => model.entitySets.set(name, ref.name) });
        break;
      }
      case 'Singleton': {
        const name = a.Name!;
        const ref = typeRef(a.Type!, undefined);
        raw.push({ fix: () => model.singletons.set(name, ref.name) });
        break;
      }
    }
    if (!selfClosing) stack.push({ tag, a });
  }
  // Aliases first (`graph.x` → `microsoft.graph.x`), then everything that names a type.
  for (const r of raw) r.fix();
  for (const t of model.types.values()) {
    if (t.baseType) model.derived.set(t.baseType, [...(model.derived.get(t.baseType) ?? []), t.name]);
  }
  for (const [target, value] of externalReferenceable) {
    const slash = target.lastIndexOf('/');
    const owner = model.types.get(qualify(target.slice(0, slash)));
    const n = owner?.navigations.get(target.slice(slash + 1));
    if (n) n.referenceable = value;
  }
  return model;
}

let cached: GraphMetadata | undefined;

/** The metadata, parsed on first use and kept for the rest of the test file. */
export function graphMetadata(): GraphMetadata {
  cached ??= new GraphMetadata(parseCsdl(readFileSync(metadataPath(), 'utf8')));
  return cached;
}

/** Shorthand: the problems with one Graph request (none: it matches Microsoft's metadata). */
export function checkGraphRequest(req: GraphRequest): string[] {
  return graphMetadata().check(req).problems;
}

// ---------------------------------------------------------------- resolving

export interface GraphRequest {
  method: string;
  /** After the version (`/users/{id}?$select=id`), or a whole Graph URL (its `/v1.0` and what comes before are dropped). */
  path: string;
  body?: unknown;
}

/** What a path names. */
export type Target =
  | { kind: 'entities'; type: string; nav?: NavigationDef }
  | { kind: 'entity'; type: string; nav?: NavigationDef }
  | { kind: 'value'; type: TypeRef }
  | { kind: 'ref'; nav: NavigationDef; single: boolean }
  | { kind: 'operation'; op: OperationDef }
  | { kind: 'batch' }
  | { kind: 'count' }
  | { kind: 'media' };

export interface CheckResult {
  problems: string[];
  /** What the path resolved to (absent when it did not). */
  target?: Target;
  /** A readable name for the target: `Collection(microsoft.graph.user)`, `action microsoft.graph.verify`. */
  describe?: string;
}

const SYSTEM_QUERY = new Set(['$select', '$expand', '$filter', '$orderby', '$top', '$skip', '$count', '$search', '$format', '$skiptoken', '$skipToken', '$deltatoken', '$deltaToken', '$levels', '$apply', '$compute', '$index', '$schemaversion', '$id']);

const EDM: Record<string, (v: unknown) => boolean> = {
  'Edm.String': (v) => typeof v === 'string',
  'Edm.Boolean': (v) => typeof v === 'boolean',
  'Edm.Int16': Number.isInteger,
  'Edm.Int32': Number.isInteger,
  'Edm.Int64': (v) => Number.isInteger(v) || (typeof v === 'string' && /^-?\d+$/.test(v)),
  'Edm.Byte': Number.isInteger,
  'Edm.SByte': Number.isInteger,
  'Edm.Double': (v) => typeof v === 'number' || v === 'NaN' || v === 'INF' || v === '-INF',
  'Edm.Single': (v) => typeof v === 'number',
  'Edm.Decimal': (v) => typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)),
  'Edm.Guid': (v) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  'Edm.DateTimeOffset': (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v),
  'Edm.Date': (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v),
  'Edm.TimeOfDay': (v) => typeof v === 'string' && /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v),
  // ISO 8601 duration, as OData writes Edm.Duration (e.g. P730D, PT0S, P1Y2M).
  'Edm.Duration': (v) => typeof v === 'string' && /^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(v),
  'Edm.Binary': (v) => typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v),
  'Edm.Stream': (v) => typeof v === 'string',
  'Edm.Untyped': () => true,
  'Edm.PrimitiveType': (v) => v === null || typeof v !== 'object',
};

/** A directory extension on an open type (`extension_<app id without hyphens>_<name>`): the only dynamic property delegate could mean. */
const DIRECTORY_EXTENSION = /^extension_[0-9a-f]{32}_\w+$/i;

export class GraphMetadata {
  constructor(readonly model: Model) {}

  /** A structured type by qualified name (`microsoft.graph.user`) or alias (`graph.user`). */
  type(name: string): StructuredType | undefined {
    return this.model.types.get(name.replace(/^#/, '').replace(/^graph\./, 'microsoft.graph.'));
  }

  enumMembers(name: string): string[] | undefined {
    const e = this.model.enums.get(name.replace(/^graph\./, 'microsoft.graph.'));
    return e ? [...e.members] : undefined;
  }

  /** `t` is `base` or derives from it. */
  isA(t: string, base: string): boolean {
    for (let x: string | undefined = t; x; x = this.model.types.get(x)?.baseType) if (x === base) return true;
    return false;
  }

  /** A property or navigation property of a type or its base types. */
  member(typeName: string, name: string): { prop?: PropertyDef; nav?: NavigationDef } | undefined {
    for (let t = this.model.types.get(typeName); t; t = t.baseType ? this.model.types.get(t.baseType) : undefined) {
      const p = t.properties.get(name);
      if (p) return { prop: p };
      const n = t.navigations.get(name);
      if (n) return { nav: n };
    }
    return undefined;
  }

  /** A member declared on a type derived (at any depth) from `typeName`. */
  private derivedMember(typeName: string, name: string): { prop?: PropertyDef; nav?: NavigationDef } | undefined {
    for (const d of this.model.derived.get(typeName) ?? []) {
      const t = this.model.types.get(d)!;
      const p = t.properties.get(name);
      if (p) return { prop: p };
      const n = t.navigations.get(name);
      if (n) return { nav: n };
      const deeper = this.derivedMember(d, name);
      if (deeper) return deeper;
    }
    return undefined;
  }

  private keysOf(typeName: string): { keys: string[]; alternate: string[] } {
    const keys: string[] = [];
    const alternate: string[] = [];
    for (let t = this.model.types.get(typeName); t; t = t.baseType ? this.model.types.get(t.baseType) : undefined) {
      if (!keys.length) keys.push(...t.keys);
      alternate.push(...t.alternateKeys);
    }
    return { keys, alternate };
  }

  private isOpen(typeName: string): boolean {
    for (let t = this.model.types.get(typeName); t; t = t.baseType ? this.model.types.get(t.baseType) : undefined) if (t.openType) return true;
    return false;
  }

  /** A bound operation named `name` (qualified or not) that binds to this type (or a base), as a collection or not. */
  private operation(name: string, typeName: string, collection: boolean): OperationDef | undefined {
    const short = name.slice(name.lastIndexOf('.') + 1);
    const ns = name.includes('.') ? name.slice(0, name.lastIndexOf('.')).replace(/^graph$/, 'microsoft.graph') : undefined;
    return (this.model.operations.get(short) ?? []).find(
      (o) => (ns === undefined || o.namespace === ns) && o.binding.collection === collection && this.isA(typeName, o.binding.name),
    );
  }

  /** Check one request: its path, query and body. */
  check(req: GraphRequest): CheckResult {
    const { path, query } = splitUrl(req.path);
    const problems: string[] = [];
    const target = this.resolve(path, problems);
    if (!target) return { problems };
    const method = req.method.toUpperCase();
    const where = `${method} ${path}`;
    if (target.kind === 'operation') {
      const want = target.op.kind === 'action' ? 'POST' : 'GET';
      if (method !== want) problems.push(`${where}: ${target.op.kind} ${target.op.namespace}.${target.op.name} is invoked with ${want} (OData protocol), not ${method}`);
    }
    if (target.kind === 'batch' && method !== 'POST') problems.push(`${where}: $batch is POST (OData protocol), not ${method}`);
    this.checkQuery(target, query, where, problems);
    this.checkBody(target, method, req.body, where, problems);
    return { problems, target, describe: describe(target) };
  }

  /** Resolve a path (no query) to what it names; problems are pushed, undefined when it does not resolve. */
  resolve(path: string, problems: string[]): Target | undefined {
    const segments = splitPath(path);
    if (segments.length === 0) {
      problems.push(`the path ${JSON.stringify(path)} names nothing`);
      return undefined;
    }
    const fail = (i: number, why: string): undefined => {
      problems.push(`${path}: segment ${JSON.stringify(segments[i]!.text)} ${why}`);
      return undefined;
    };
    let at: Target | undefined;
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i]!;
      if (i === 0) {
        if (s.name === '$batch' && segments.length === 1) {
          at = { kind: 'batch' };
          continue;
        }
        const set = this.model.entitySets.get(s.name);
        const single = this.model.singletons.get(s.name);
        if (set) at = { kind: 'entities', type: set };
        else if (single) at = { kind: 'entity', type: single };
        else return fail(i, 'is neither an entity set nor a singleton of Graph v1.0');
        if (s.parens !== undefined) {
          if (!set) return fail(i, 'takes no key: it is a singleton');
          const keyProblem = this.checkKey(set, s.parens);
          if (keyProblem) return fail(i, keyProblem);
          at = { kind: 'entity', type: set };
        }
        continue;
      }
      if (!at) return undefined;
      const next = this.step(at, s, i === segments.length - 1);
      if (typeof next === 'string') return fail(i, next);
      at = next;
    }
    return at;
  }

  /** The target one segment further on, or why the segment does not resolve. */
  private step(from: Target, s: Segment, last: boolean): Target | string {
    const name = s.name;
    let at = from;
    if (at.kind === 'ref' || at.kind === 'count' || at.kind === 'batch' || at.kind === 'media' || (at.kind === 'value' && name !== '$value')) return `cannot follow ${describe(at)}`;
    if (name === '$ref') {
      const nav = at.kind === 'entities' || at.kind === 'entity' ? at.nav : undefined;
      if (!nav) return 'follows no navigation property';
      const referenceable = nav.referenceable ?? !nav.containsTarget;
      if (!referenceable) return `is not allowed: ${nav.name} holds its entities (ContainsTarget), it does not reference them`;
      if (s.parens !== undefined || !last) return 'must end the path';
      return { kind: 'ref', nav, single: at.kind === 'entity' };
    }
    if (name === '$count') {
      if (at.kind !== 'entities' && !(at.kind === 'value' && at.type.collection)) return 'follows no collection';
      return { kind: 'count' };
    }
    if (name === '$value') {
      if ((at.kind === 'value' && !at.type.collection) || at.kind === 'entity') return { kind: 'media' };
      return 'follows no single value or media entity';
    }
    if (at.kind === 'operation') {
      // A function's result may be followed (composed); an action's may not.
      const rt = at.op.returnType;
      if (at.op.kind === 'action' || !rt) return `cannot follow the ${at.op.kind} ${at.op.name}`;
      at = this.model.types.get(rt.name)?.kind === 'entity' ? { kind: rt.collection ? 'entities' : 'entity', type: rt.name } : { kind: 'value', type: rt };
    }
    if (at.kind !== 'entities' && at.kind !== 'entity' && at.kind !== 'value') return 'cannot be resolved';
    const type = at.kind === 'value' ? at.type.name : at.type;
    const collection = at.kind === 'entities' || (at.kind === 'value' && at.type.collection);
    // A cast to a derived type (qualified name).
    if (/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/.test(name) && this.type(name)) {
      const cast = this.type(name)!.name;
      if (!this.isA(cast, type)) return `casts to ${cast}, which does not derive from ${type}`;
      if (at.kind === 'value') return s.parens === undefined ? { kind: 'value', type: { ...at.type, name: cast } } : 'takes no key: it is not a collection of entities';
      if (s.parens === undefined) return { ...at, type: cast };
      if (at.kind !== 'entities') return 'takes no key after a single entity';
      return this.checkKey(cast, s.parens) ?? { kind: 'entity', type: cast, nav: at.nav };
    }
    // A bound action or function.
    const op = this.operation(name, type, collection);
    if (op) {
      if (op.kind === 'function') {
        const p = this.checkFunctionParameters(op, s.parens);
        if (p) return p;
      } else if (s.parens !== undefined) return `is the action ${op.name}: actions take their parameters in the body, not in parentheses`;
      return { kind: 'operation', op };
    }
    if (collection) {
      if (at.kind !== 'entities') return `is not a key: ${describe(at)} is not a collection of entities`;
      // A key segment (`/users/{id}`); parentheses after it are not OData.
      if (s.parens !== undefined) return 'is a key segment followed by parentheses';
      return { kind: 'entity', type, nav: at.nav };
    }
    const m = this.member(type, name);
    if (!m) {
      const ops = (this.model.operations.get(name.slice(name.lastIndexOf('.') + 1)) ?? []).map((o) => (o.binding.collection ? `Collection(${o.binding.name})` : o.binding.name));
      const hint = ops.length ? ` (an operation of that name binds to ${[...new Set(ops)].slice(0, 5).join(', ')})` : '';
      return `is not a property, navigation property, cast or bound operation of ${type}${hint}`;
    }
    if (m.nav) {
      const t = m.nav.type;
      if (s.parens === undefined) return t.collection ? { kind: 'entities', type: t.name, nav: m.nav } : { kind: 'entity', type: t.name, nav: m.nav };
      if (!t.collection) return 'takes no key: it is a single-valued navigation property';
      return this.checkKey(t.name, s.parens) ?? { kind: 'entity', type: t.name, nav: m.nav };
    }
    if (s.parens !== undefined) return 'is a structural property: it takes no parentheses';
    return { kind: 'value', type: m.prop!.type };
  }

  private checkKey(typeName: string, parens: string): string | undefined {
    const { keys, alternate } = this.keysOf(typeName);
    const parts = splitTopLevel(parens, ',');
    if (parts.length === 1 && !/^\s*[A-Za-z_]\w*\s*=/.test(parts[0]!)) {
      return keys.length === 1 ? undefined : `gives one key value, but ${typeName}'s key has ${keys.length} properties`;
    }
    for (const p of parts) {
      const k = /^\s*([A-Za-z_]\w*)\s*=/.exec(p)?.[1];
      if (!k) return `has a key part ${JSON.stringify(p)} that is not name=value`;
      if (!keys.includes(k) && !alternate.includes(k)) return `names ${k}, which is not a key or alternate key of ${typeName} (keys: ${[...keys, ...alternate].join(', ') || 'none'})`;
    }
    return undefined;
  }

  private checkFunctionParameters(op: OperationDef, parens: string | undefined): string | undefined {
    const given = new Map<string, string>();
    for (const p of parens === undefined || parens.trim() === '' ? [] : splitTopLevel(parens, ',')) {
      const m = /^\s*([A-Za-z_]\w*)\s*=\s*(.*?)\s*$/.exec(p);
      if (!m) return `gives the function ${op.name} a parameter ${JSON.stringify(p)} that is not name=value`;
      given.set(m[1]!, m[2]!);
    }
    for (const [k, v] of given) {
      const def = op.parameters.find((x) => x.name === k);
      if (!def) return `gives the function ${op.name} a parameter ${k} it does not take (it takes: ${op.parameters.map((x) => x.name).join(', ') || 'none'})`;
      const literal = /^'((?:[^']|'')*)'$/.exec(v);
      const e = this.model.enums.get(def.type.name);
      if (e && literal && !e.members.has(literal[1]!)) return `gives ${k} = '${literal[1]}', not a member of ${e.name}`;
      if (def.type.name === 'Edm.String' && !literal && !v.startsWith('@')) return `gives ${k} = ${v}: a string parameter is written in single quotes`;
    }
    const missing = op.parameters.filter((x) => !x.optional && !given.has(x.name)).map((x) => x.name);
    if (missing.length) return `calls the function ${op.name} without ${missing.join(', ')}`;
    return undefined;
  }

  // ---------------------------------------------------------------- query

  private checkQuery(target: Target, query: URLSearchParams, where: string, problems: string[]): void {
    const type = target.kind === 'entities' || target.kind === 'entity' ? target.type : target.kind === 'value' && this.model.types.has(target.type.name) ? target.type.name : target.kind === 'ref' ? target.nav.type.name : target.kind === 'operation' && target.op.returnType && this.model.types.has(target.op.returnType.name) ? target.op.returnType.name : undefined;
    for (const [key, value] of query) {
      if (key.startsWith('$')) {
        if (!SYSTEM_QUERY.has(key)) {
          problems.push(`${where}: ${key} is not an OData system query option`);
          continue;
        }
      } else continue; // custom query options and parameter aliases are not described by the metadata
      if (!type) continue;
      if (key === '$select') {
        for (const item of splitTopLevel(value, ',')) this.checkPropertyPath(type, item.trim(), where, '$select', problems, false);
      } else if (key === '$expand') {
        for (const item of splitTopLevel(value, ',')) {
          const name = item.trim().replace(/\(.*$/s, '').replace(/\/\$ref$/, '');
          if (name === '*') continue;
          const m = this.member(type, name.split('/').pop()!);
          if (!m?.nav) problems.push(`${where}: $expand names ${JSON.stringify(name)}, not a navigation property of ${type}`);
        }
      } else if (key === '$orderby') {
        for (const item of splitTopLevel(value, ',')) this.checkPropertyPath(type, item.trim().replace(/\s+(asc|desc)$/i, ''), where, '$orderby', problems, true);
      } else if (key === '$filter') this.checkFilter(type, value, where, problems);
    }
  }

  /** A property path (`a/b`, possibly through a cast) exists on the type; the property it ends at. */
  private checkPropertyPath(type: string, path: string, where: string, option: string, problems: string[], structuralOnly: boolean): PropertyDef | undefined {
    let t = type;
    let last: PropertyDef | undefined;
    for (const part of path.split('/')) {
      if (this.type(part) && part.includes('.')) {
        t = this.type(part)!.name;
        continue;
      }
      // An open type's collection (directoryObject: a group's members) holds derived types, and OData lets a query
      // name a dynamic property of an open type: a property of a derived type (user's userPrincipalName) is taken.
      const m = this.member(t, part) ?? (this.isOpen(t) ? this.derivedMember(t, part) : undefined);
      if (!m) {
        problems.push(`${where}: ${option} names ${JSON.stringify(path)}: ${part} is not a property of ${t}${this.isOpen(t) ? ' nor of a type derived from it' : ''}`);
        return undefined;
      }
      if (m.nav && structuralOnly) {
        problems.push(`${where}: ${option} names ${JSON.stringify(path)}: ${part} is a navigation property`);
        return undefined;
      }
      last = m.prop ?? m.nav;
      t = last!.type.name;
    }
    return last;
  }

  /** The properties compared in a $filter exist, and a string compared with an enum property is a member. */
  private checkFilter(type: string, filter: string, where: string, problems: string[]): void {
    const strings: string[] = [];
    const masked = filter.replace(/'((?:[^']|'')*)'/g, (_m, s: string) => `\u0000${strings.push(s.replace(/''/g, "'")) - 1}\u0000`);
    // Lambda variables (`any(x: x/prop eq ...)`) name a range variable, not a property of the type.
    const lambdaVars = new Set([...masked.matchAll(/\b(?:any|all)\(\s*([A-Za-z_]\w*)\s*:/g)].map((m) => m[1]!));
    for (const m of masked.matchAll(/(?<![\w/$@.])([A-Za-z_][\w]*(?:\/[A-Za-z_][\w.]*)*)\s+(eq|ne|gt|ge|lt|le|in|has)\s+(\u0000(\d+)\u0000)?/g)) {
      const path = m[1]!;
      if (lambdaVars.has(path.split('/')[0]!) || ['not', 'and', 'or', 'true', 'false', 'null'].includes(path)) continue;
      const prop = this.checkPropertyPath(type, path, where, '$filter', problems, false);
      if (prop && m[4] !== undefined) {
        const e = this.model.enums.get(prop.type.name);
        const literal = strings[Number(m[4])]!;
        if (e && !e.members.has(literal)) problems.push(`${where}: $filter compares ${path} with '${literal}', not a member of ${e.name}`);
      }
    }
  }

  // ---------------------------------------------------------------- body

  private checkBody(target: Target, method: string, body: unknown, where: string, problems: string[]): void {
    const hasBody = body !== undefined && body !== null && body !== '';
    if (method === 'GET' || method === 'DELETE') {
      if (hasBody) problems.push(`${where}: a ${method} carries no body`);
      return;
    }
    if (target.kind === 'batch') return this.checkBatch(body, where, problems);
    if (target.kind === 'ref') {
      if (!isObject(body)) return void problems.push(`${where}: a $ref body is {"@odata.id": "<url of the entity>"}`);
      for (const k of Object.keys(body)) if (k !== '@odata.id') problems.push(`${where}: a $ref body has only @odata.id, not ${k}`);
      return this.checkReferenceUrl(body['@odata.id'], target.nav.type.name, `${where}: @odata.id`, problems);
    }
    if (target.kind === 'operation') {
      if (target.op.kind === 'function') return;
      if (!hasBody) return;
      if (!isObject(body)) return void problems.push(`${where}: an action's body is a JSON object of its parameters`);
      for (const [k, v] of Object.entries(body)) {
        const p = target.op.parameters.find((x) => x.name === k);
        if (!p) problems.push(`${where}: the action ${target.op.name} takes no parameter ${k} (it takes: ${target.op.parameters.map((x) => x.name).join(', ') || 'none'})`);
        else this.checkValue(v, p.type, `${where}: ${k}`, problems);
      }
      return;
    }
    if (target.kind === 'entities' || target.kind === 'entity') {
      if (!hasBody) return;
      this.checkValue(body, { name: target.type, collection: false, nullable: false }, `${where}: body`, problems);
      return;
    }
    if (target.kind === 'value') {
      if (hasBody) this.checkValue(body, target.type, `${where}: body`, problems);
      return;
    }
  }

  /** https://learn.microsoft.com/graph/json-batching: {requests: [{id, method, url, headers?, body?, dependsOn?}]}; each part is a request of its own. */
  private checkBatch(body: unknown, where: string, problems: string[]): void {
    const requests = isObject(body) ? body.requests : undefined;
    if (!Array.isArray(requests)) return void problems.push(`${where}: a $batch body is {"requests": [...]}`);
    for (const k of Object.keys(body as Record<string, unknown>)) if (k !== 'requests') problems.push(`${where}: a $batch body has no ${k}`);
    requests.forEach((q, i) => {
      if (!isObject(q)) return void problems.push(`${where}: requests[${i}] is not an object`);
      const label = `${where}: requests[${i}] (id ${JSON.stringify(q.id)})`;
      for (const k of Object.keys(q)) if (!['id', 'method', 'url', 'headers', 'body', 'dependsOn', 'atomicityGroup'].includes(k)) problems.push(`${label} has an unknown member ${k}`);
      if (typeof q.id !== 'string' && typeof q.id !== 'number') problems.push(`${label} has no id`);
      if (typeof q.method !== 'string' || typeof q.url !== 'string') return void problems.push(`${label} needs a method and a url`);
      if (/^https?:/i.test(q.url)) problems.push(`${label}: the url must be relative to the version (${q.url})`);
      for (const p of this.check({ method: q.method, path: q.url, body: q.body }).problems) problems.push(`${label}: ${p}`);
    });
  }

  /** A reference to an entity (`@odata.id`, `@odata.bind`): a Graph URL resolving to one entity of the expected type (or a base or derived one). */
  private checkReferenceUrl(url: unknown, expected: string, label: string, problems: string[]): void {
    if (typeof url !== 'string') return void problems.push(`${label} is not a URL string`);
    const sub: string[] = [];
    const t = this.resolve(splitUrl(url).path, sub);
    if (!t) return void problems.push(...sub.map((p) => `${label}: ${p}`));
    if (t.kind !== 'entity') return void problems.push(`${label} names ${describe(t)}, not one entity`);
    if (!this.isA(t.type, expected) && !this.isA(expected, t.type)) problems.push(`${label} names a ${t.type}, which is not a ${expected}`);
  }

  private checkValue(v: unknown, t: TypeRef, label: string, problems: string[]): void {
    if (v === null) {
      if (!t.nullable) problems.push(`${label} is null, but it is not nullable`);
      return;
    }
    if (t.collection) {
      if (!Array.isArray(v)) return void problems.push(`${label} is a collection of ${t.name}: an array, not ${typeof v}`);
      v.forEach((x, i) => this.checkValue(x, { ...t, collection: false, nullable: true }, `${label}[${i}]`, problems));
      return;
    }
    const edm = EDM[t.name];
    if (edm) {
      if (!edm(v)) problems.push(`${label} = ${JSON.stringify(v)} is not an ${t.name}`);
      return;
    }
    const e = this.model.enums.get(t.name);
    if (e) {
      if (typeof v !== 'string') return void problems.push(`${label} = ${JSON.stringify(v)}: ${e.name} is written as a member name string`);
      const names = e.flags ? v.split(',').map((x) => x.trim()) : [v];
      for (const n of names) if (!e.members.has(n)) problems.push(`${label} = '${n}' is not a member of ${e.name} (members: ${[...e.members].join(', ')})`);
      return;
    }
    const st = this.model.types.get(t.name);
    if (!st) return void problems.push(`${label}: the metadata has no type ${t.name}`);
    if (!isObject(v)) return void problems.push(`${label} is a ${st.name}: an object, not ${JSON.stringify(v)}`);
    let typeName = st.name;
    const cast = v['@odata.type'];
    if (cast !== undefined) {
      const c = typeof cast === 'string' ? this.type(cast.replace(/^#/, '')) : undefined;
      if (!c) return void problems.push(`${label}: @odata.type ${JSON.stringify(cast)} names no type of the metadata`);
      if (!this.isA(c.name, st.name)) return void problems.push(`${label}: @odata.type ${c.name} does not derive from ${st.name}`);
      typeName = c.name;
    }
    for (const [k, x] of Object.entries(v)) {
      if (k === '@odata.type' || k === '@odata.context' || k === '@odata.etag') continue;
      if (k === '@odata.id') {
        if (this.model.types.get(typeName)?.kind !== 'entity') problems.push(`${label}: @odata.id on ${typeName}, which is not an entity type`);
        else this.checkReferenceUrl(x, typeName, `${label}.@odata.id`, problems);
        continue;
      }
      const bind = /^(.+)@odata\.bind$/.exec(k);
      if (bind) {
        const m = this.member(typeName, bind[1]!);
        if (!m?.nav) problems.push(`${label}: ${k} binds ${bind[1]}, which is not a navigation property of ${typeName}`);
        else if (m.nav.type.collection) {
          if (!Array.isArray(x)) problems.push(`${label}.${k} is an array of URLs (${bind[1]} is a collection)`);
          else x.forEach((u, i) => this.checkReferenceUrl(u, m.nav!.type.name, `${label}.${k}[${i}]`, problems));
        } else this.checkReferenceUrl(x, m.nav.type.name, `${label}.${k}`, problems);
        continue;
      }
      const annotated = /^(.+)@odata\.type$/.exec(k);
      if (annotated) {
        if (!this.member(typeName, annotated[1]!)) problems.push(`${label}: ${k} annotates ${annotated[1]}, which is not a property of ${typeName}`);
        continue;
      }
      if (k.startsWith('@') || k.includes('@')) {
        if (!/^[^@]*@(odata|microsoft\.graph)\./.test(k)) problems.push(`${label}: ${k} is not an instance annotation Graph knows`);
        continue;
      }
      const m = this.member(typeName, k);
      if (!m) {
        if (this.isOpen(typeName) && DIRECTORY_EXTENSION.test(k)) continue;
        problems.push(`${label}: ${k} is not a property of ${typeName}${this.model.types.get(typeName)?.baseType ? ' (nor of its base types)' : ''}`);
        continue;
      }
      // A navigation property's value is a deep insert of its entity (or entities).
      this.checkValue(x, (m.prop ?? m.nav)!.type, `${label}.${k}`, problems);
    }
  }
}

// ---------------------------------------------------------------- text helpers

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(t: Target): string {
  switch (t.kind) {
    case 'entities':
      return `Collection(${t.type})`;
    case 'entity':
      return t.type;
    case 'value':
      return t.type.collection ? `Collection(${t.type.name})` : t.type.name;
    case 'ref':
      return `$ref of ${t.nav.name}`;
    case 'operation':
      return `${t.op.kind} ${t.op.namespace}.${t.op.name}`;
    default:
      return t.kind === 'batch' ? '$batch' : t.kind === 'count' ? '$count' : '$value';
  }
}

/** A path and its query, from a path after the version or a whole Graph URL. */
export function splitUrl(url: string): { path: string; query: URLSearchParams } {
  let rest = url;
  const version = /^(?:[a-z]+:\/\/[^/]+)?(?:\/[^/?]*)*?\/(?:v1\.0|beta)(?=\/|$|\?)/i.exec(rest);
  if (version) rest = rest.slice(version[0].length);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  return { path: path.startsWith('/') ? path : `/${path}`, query };
}

interface Segment {
  text: string;
  name: string;
  /** The text inside the segment's parentheses (a key or function parameters), decoded. */
  parens?: string;
}

/** Path segments (split on `/` outside quotes and parentheses), each decoded and cut into a name and its parentheses. */
function splitPath(path: string): Segment[] {
  return splitTopLevel(path.replace(/^\/+/, ''), '/')
    .filter((s) => s !== '')
    .map((raw) => {
      let text: string;
      try {
        text = decodeURIComponent(raw);
      } catch {
        text = raw;
      }
      const m = /^([^()]*)\((.*)\)$/s.exec(text);
      return m ? { text, name: m[1]!, parens: m[2]! } : { text, name: text };
    });
}

/** Split on a separator outside single quotes and parentheses. */
function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    if (c === sep && depth === 0 && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
