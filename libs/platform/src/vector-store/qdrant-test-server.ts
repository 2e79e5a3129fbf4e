import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server speaking the part of Qdrant's REST API (1.x) the Qdrant vector store uses, over points kept in
 * memory, for tests on a machine without Qdrant: collections (exists, create, info with payload_schema, list),
 * payload indexes, points upsert / query / scroll / count / delete / set and delete payload, with filters (`must`,
 * `should`, `must_not`, `match` value / any, `range`, `is_empty`, `has_id`). Responses have Qdrant's envelope
 * (`{result, status: "ok", time}`; errors `{status: {error}}` with 404 / 409 / 400). Every request is recorded.
 * A model of Qdrant written from its documentation, not Qdrant: the real server is checked by the conformance suite
 * when QDRANT_URL is set.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

interface Point {
  id: string;
  vector: number[];
  payload: Record<string, unknown>;
}

interface FakeCollection {
  size: number;
  distance: string;
  points: Map<string, Point>;
  schema: Record<string, { data_type: string; params?: unknown }>;
}

type Filter = { must?: Condition[]; should?: Condition[]; must_not?: Condition[] };
type Condition = Filter & {
  key?: string;
  match?: { value?: unknown; any?: unknown[] };
  range?: { gt?: number; gte?: number; lt?: number; lte?: number };
  is_empty?: { key: string };
  has_id?: string[];
};

export class QdrantTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly collections = new Map<string, FakeCollection>();
  private server: Server | null = null;
  private operationId = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    server?.closeAllConnections();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** The recorded requests of a method and path pattern (e.g. `PUT /collections/memory/points`). */
  calls(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    const method = req.method ?? 'GET';
    this.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      headers: req.headers,
    });
    const started = process.hrtime.bigint();
    const send = (status: number, payload: unknown) => {
      const time = Number(process.hrtime.bigint() - started) / 1e9;
      const envelope = status < 300 ? { result: payload, status: 'ok', time } : { status: { error: payload }, time };
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(envelope));
    };
    try {
      this.route(method, url.pathname, body ?? {}, send);
    } catch (err) {
      send(400, `Bad request: ${(err as Error).message}`);
    }
  }

  private route(method: string, path: string, body: Record<string, unknown>, send: (s: number, p: unknown) => void) {
    if (method === 'GET' && path === '/collections') {
      return send(200, { collections: [...this.collections.keys()].map((name) => ({ name })) });
    }
    const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) return send(404, `Not found: ${path}`);
    const name = decodeURIComponent(m[1]!);
    const rest = m[2] ?? '';
    const c = this.collections.get(name);
    if (method === 'GET' && rest === '/exists') return send(200, { exists: Boolean(c) });
    if (method === 'PUT' && rest === '') {
      if (c) return send(409, `Wrong input: Collection \`${name}\` already exists!`);
      const vectors = body.vectors as { size: number; distance: string };
      this.collections.set(name, { size: vectors.size, distance: vectors.distance, points: new Map(), schema: {} });
      return send(200, true);
    }
    if (!c) return send(404, `Not found: Collection \`${name}\` doesn't exist!`);
    const updated = () => send(200, { operation_id: ++this.operationId, status: 'completed' });
    switch (`${method} ${rest}`) {
      case 'GET ':
        return send(200, {
          status: 'green',
          optimizer_status: 'ok',
          indexed_vectors_count: 0,
          points_count: c.points.size,
          segments_count: 2,
          config: {
            params: { vectors: { size: c.size, distance: c.distance }, shard_number: 1, replication_factor: 1 },
            hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
            optimizer_config: { deleted_threshold: 0.2, vacuum_min_vector_number: 1000 },
            wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
            quantization_config: null,
          },
          payload_schema: Object.fromEntries(
            Object.entries(c.schema).map(([k, v]) => [k, { ...v, points: this.withKey(c, k) }]),
          ),
        });
      case 'PUT /index': {
        const schema = body.field_schema as string | { type: string };
        const data_type = typeof schema === 'string' ? schema : schema.type;
        c.schema[body.field_name as string] = { data_type, ...(typeof schema === 'object' ? { params: schema } : {}) };
        return updated();
      }
      case 'PUT /points':
        for (const p of body.points as Point[]) c.points.set(String(p.id), { ...p, id: String(p.id) });
        return updated();
      case 'POST /points/query': {
        const query = body.query as number[];
        const threshold = body.score_threshold as number | undefined;
        const offset = (body.offset as number | undefined) ?? 0;
        const scored = this.matching(c, body.filter as Filter | undefined)
          .map((p) => ({ p, score: cosine(query, p.vector) }))
          .filter((h) => threshold === undefined || h.score >= threshold)
          .sort((a, b) => b.score - a.score)
          .slice(offset, offset + ((body.limit as number | undefined) ?? 10));
        return send(200, {
          points: scored.map(({ p, score }) => ({
            id: p.id,
            version: this.operationId,
            score,
            ...(body.with_payload ? { payload: p.payload } : {}),
          })),
        });
      }
      case 'POST /points/scroll': {
        const all = this.matching(c, body.filter as Filter | undefined).sort((a, b) => a.id.localeCompare(b.id));
        const from = body.offset === undefined ? 0 : all.findIndex((p) => p.id === body.offset);
        const limit = (body.limit as number | undefined) ?? 10;
        const page = all.slice(from, from + limit);
        return send(200, {
          points: page.map((p) => ({ id: p.id, ...(body.with_payload ? { payload: p.payload } : {}) })),
          next_page_offset: all[from + limit]?.id ?? null,
        });
      }
      case 'POST /points/count':
        return send(200, { count: this.matching(c, body.filter as Filter | undefined).length });
      case 'POST /points/delete':
        for (const p of this.selected(c, body)) c.points.delete(p.id);
        return updated();
      case 'POST /points/payload':
        for (const p of this.selected(c, body)) Object.assign(p.payload, body.payload);
        return updated();
      case 'POST /points/payload/delete':
        for (const p of this.selected(c, body)) for (const k of body.keys as string[]) delete p.payload[k];
        return updated();
      default:
        return send(404, `Not found: ${method} ${path}`);
    }
  }

  private withKey(c: FakeCollection, key: string): number {
    return [...c.points.values()].filter((p) => p.payload[key] !== undefined).length;
  }

  private selected(c: FakeCollection, body: Record<string, unknown>): Point[] {
    if (Array.isArray(body.points)) {
      return (body.points as string[]).map((id) => c.points.get(id)).filter((p): p is Point => Boolean(p));
    }
    return this.matching(c, body.filter as Filter | undefined);
  }

  private matching(c: FakeCollection, filter: Filter | undefined): Point[] {
    return [...c.points.values()].filter((p) => !filter || holds(filter, p));
  }
}

function holds(cond: Condition, p: Point): boolean {
  if (cond.key !== undefined) {
    const v = p.payload[cond.key];
    if (cond.match) {
      if ('value' in cond.match) return v === cond.match.value;
      return (cond.match.any ?? []).includes(v);
    }
    if (cond.range) {
      if (typeof v !== 'number') return false;
      const r = cond.range;
      return (
        (r.gt === undefined || v > r.gt) &&
        (r.gte === undefined || v >= r.gte) &&
        (r.lt === undefined || v < r.lt) &&
        (r.lte === undefined || v <= r.lte)
      );
    }
    throw new Error(`unsupported condition on ${cond.key}`);
  }
  if (cond.is_empty) {
    const v = p.payload[cond.is_empty.key];
    return v === undefined || v === null || (Array.isArray(v) && !v.length);
  }
  if (cond.has_id) return cond.has_id.includes(p.id);
  return (
    (cond.must ?? []).every((s) => holds(s, p)) &&
    (!cond.should?.length || cond.should.some((s) => holds(s, p))) &&
    !(cond.must_not ?? []).some((s) => holds(s, p))
  );
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
