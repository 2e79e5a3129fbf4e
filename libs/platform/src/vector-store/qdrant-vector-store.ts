import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import { createHash } from 'node:crypto';
import { PayloadFieldType, checkName, filterFields, isEmptyFilter } from './lancedb-filter';
import { newPayloadFields } from './payload-fields';
import { QdrantFilter, andFilters, matchesFilter, toQdrantFilter } from './qdrant-filter';
import type {
  Payload,
  VectorFilter,
  VectorLike,
  VectorRecord,
  VectorSearchHit,
  VectorSearchOptions,
  VectorStore,
} from './vector-store';
import { VectorStoreError, VectorStoreErrorCode } from './vector-store.error';

export interface QdrantOptions {
  /** Qdrant's REST address, e.g. `http://qdrant:6333` (no port: 6333). */
  url: string;
  /** Sent as the `api-key` header; never logged. */
  apiKey?: string;
  /** Milliseconds one request may take. Default 30 s. */
  timeoutMs?: number;
  /** Prepended to every collection name (tests use a unique one per run). Default none. */
  collectionPrefix?: string;
  /**
   * String payload fields indexed when a collection is created, before any record has them: the fields callers filter
   * on (owner, store, file, conversation, model). They are keyword fields from then on. Every other field gets its
   * index, of its first value's type, when it first appears. Default `DEFAULT_QDRANT_INDEXED_FIELDS`.
   */
  indexedFields?: readonly string[];
}

/**
 * The fields chat memory (`user_id`, `conversation_id`, `item_id`, `model`) and rag (`user_id`, `vector_store_id`,
 * `file_id`) filter or delete by. `user_id` is the tenant key (Qdrant groups each owner's points together).
 */
export const DEFAULT_QDRANT_INDEXED_FIELDS: readonly string[] = [
  'user_id',
  'vector_store_id',
  'file_id',
  'conversation_id',
  'item_id',
  'model',
];

/** Payload keys of every point besides the record's own fields (names a payload field may not take). */
const ID_KEY = 'id';
const TEXT_KEY = 'text';

/** Namespace of the point ids (UUID v5 of the record id): changing it orphans every stored point. */
const POINT_ID_NAMESPACE = Buffer.from('3f0c6a52a8d94c1b9f3e5d7a1c2b4e60', 'hex');

const MAX_K = 1000;
/** Points per upsert request. */
const UPSERT_BATCH = 256;
/** Ids per delete, count or payload request. */
const ID_BATCH = 1000;
/** Points per scroll page (updates, and filters checked on the payload). */
const SCROLL_PAGE = 1000;
/** Most candidates a search with a string comparison reads before giving up on filling `k`. */
const RECHECK_MAX_CANDIDATES = 10_000;

type QdrantModule = typeof import('@qdrant/js-client-rest');
let loaded: QdrantModule | undefined;

/** The client is loaded on first use: every service imports this library, only those with Qdrant need it. */
function qdrantModule(): QdrantModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('@qdrant/js-client-rest') as QdrantModule;
  return loaded;
}

/**
 * The point id of a record id: a UUID v5 (SHA-1 of the namespace and the id), so the same id always addresses the
 * same point from any process. Qdrant takes only UUIDs and integers as ids; the record id is kept in the payload.
 */
export function pointId(id: string): string {
  const hash = createHash('sha1').update(POINT_ID_NAMESPACE).update(id, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface Collection {
  dims: number;
  /** Indexed payload fields and their types, as this process last read them: the collection's payload schema. */
  fields: Map<string, PayloadFieldType>;
}

/**
 * The vector store on a Qdrant server, over its REST API. A collection is a Qdrant collection of the same name
 * (with `collectionPrefix`) with cosine distance; a record is a point whose id is `pointId(record.id)` and whose
 * payload holds the record's fields flat beside `id` and `text`. Every payload field has a payload index, created
 * when the field first appears, and its index type is the field's type (so a value of another type is refused, as
 * in LanceDB); `DEFAULT_QDRANT_INDEXED_FIELDS` are indexed with the collection. Writes wait until applied, so a
 * search right after sees them. Several processes may use one collection: nothing here needs a single writer.
 * Deleted points leave the disk when Qdrant's optimizer vacuums their segment.
 */
export class QdrantVectorStore implements VectorStore {
  private client: QdrantClient | null = null;
  private readonly collections = new Map<string, Promise<Collection | null>>();
  private readonly prefix: string;
  private readonly indexedFields: readonly string[];
  private closed = false;

  constructor(private readonly opts: QdrantOptions) {
    this.prefix = opts.collectionPrefix ?? '';
    this.indexedFields = opts.indexedFields ?? DEFAULT_QDRANT_INDEXED_FIELDS;
    for (const field of this.indexedFields) checkName('payload field', field);
  }

  async ensureCollection(name: string, dims: number): Promise<void> {
    checkName('collection', name);
    if (!Number.isInteger(dims) || dims < 1 || dims > 65_536) {
      throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `invalid dimension ${dims}`);
    }
    let c = await this.collection(name);
    if (!c) {
      try {
        await this.api().createCollection(this.qname(name), {
          vectors: { size: dims, distance: 'Cosine' },
          timeout: this.timeoutS(),
        });
      } catch (err) {
        // Another process may have created it at the same moment: fine if it exists now (checked below).
        this.collections.delete(name);
        if (!(await this.collection(name))) throw err;
      }
      this.collections.delete(name);
      c = await this.collection(name);
      if (!c) throw new Error(`collection ${name} was created but cannot be read`);
    }
    if (c.dims !== dims) {
      throw new VectorStoreError(
        VectorStoreErrorCode.DimensionMismatch,
        `collection ${name} holds ${c.dims}-dimensional vectors, not ${dims}`,
      );
    }
    const missing = this.indexedFields.filter((f) => !c.fields.has(f));
    if (missing.length) await this.createIndexes(name, c, new Map(missing.map((f) => [f, 'string'])));
  }

  async upsert(collection: string, records: readonly VectorRecord[]): Promise<void> {
    checkName('collection', collection);
    if (!records.length) return;
    const c = await this.collection(collection);
    if (!c) {
      throw new VectorStoreError(
        VectorStoreErrorCode.UnknownCollection,
        `collection ${collection} does not exist (ensureCollection first)`,
      );
    }
    // The last record of an id wins, as if they had been upserted one after another.
    const byId = new Map<string, VectorRecord>();
    for (const r of records) {
      if (typeof r.id !== 'string' || !r.id) {
        throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, 'every record needs a non-empty id');
      }
      checkVector(r.vector, c.dims, `record ${r.id}`);
      byId.set(r.id, r);
    }
    await this.addPayloadFields(
      collection,
      c,
      [...byId.values()].map((r) => r.payload),
    );
    const points = [...byId.values()].map((r) => {
      const payload: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(r.payload)) if (value !== null) payload[field] = value;
      payload[ID_KEY] = r.id;
      if (r.text !== undefined && r.text !== null) payload[TEXT_KEY] = r.text;
      return { id: pointId(r.id), vector: Array.from(r.vector), payload };
    });
    for (let i = 0; i < points.length; i += UPSERT_BATCH) {
      await this.api().upsert(this.qname(collection), { wait: true, points: points.slice(i, i + UPSERT_BATCH) });
    }
  }

  async search(collection: string, vector: VectorLike, options: VectorSearchOptions): Promise<VectorSearchHit[]> {
    checkName('collection', collection);
    if (!Number.isInteger(options.k) || options.k < 1 || options.k > MAX_K) {
      throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `k must be an integer in 1..${MAX_K}`);
    }
    const c = await this.collection(collection);
    if (!c) return [];
    checkVector(vector, c.dims, 'the query vector');
    if (!vector.some((x) => x !== 0)) return [];
    const filter = options.filter ?? {};
    await this.refreshFieldsFor(collection, c, filter);
    const translated = toQdrantFilter(filter, c.fields);
    if (translated.filter === false) return [];
    const exclude = [...new Set(options.excludeIds ?? [])];
    const where = exclude.length
      ? andFilters(translated.filter, { must_not: [{ has_id: exclude.map(pointId) }] })
      : translated.filter;
    // Qdrant's scores are float32: a hit exactly at the bound may come back a hair below it.
    const minScore = options.minScore === undefined ? undefined : options.minScore - 1e-6;
    const page = translated.recheck ? Math.min(MAX_K, Math.max(4 * options.k, 64)) : options.k;
    const hits: VectorSearchHit[] = [];
    for (let offset = 0; hits.length < options.k && offset < RECHECK_MAX_CANDIDATES; offset += page) {
      const res = await this.api().query(this.qname(collection), {
        query: Array.from(vector),
        filter: where as Schemas['Filter'],
        limit: page,
        ...(offset ? { offset } : {}),
        ...(minScore !== undefined ? { score_threshold: minScore } : {}),
        with_payload: true,
        with_vector: false,
      });
      // Points arrive best first.
      for (const point of res.points) {
        if (hits.length === options.k) break;
        if (minScore !== undefined && !(point.score >= minScore)) continue;
        const { id, text, payload } = readPayload(point.payload);
        if (translated.recheck && !matchesFilter(filter, payload, c.fields)) continue;
        hits.push({ id, score: point.score, payload, text });
      }
      if (!translated.recheck || res.points.length < page) break;
    }
    return hits;
  }

  async deleteWhere(collection: string, filter: VectorFilter): Promise<number> {
    checkName('collection', collection);
    if (isEmptyFilter(filter)) {
      throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, 'deleteWhere needs at least one condition');
    }
    const c = await this.collection(collection);
    if (!c) return 0;
    await this.refreshFieldsFor(collection, c, filter);
    const translated = toQdrantFilter(filter, c.fields);
    if (translated.filter === false) return 0;
    if (translated.recheck) {
      const ids = await this.matchingPointIds(collection, c, filter, translated.filter);
      return this.deletePoints(collection, ids);
    }
    // Qdrant's delete does not say how many points it removed: they are counted first with the same filter (a
    // record written between the two calls may be deleted without being counted).
    const name = this.qname(collection);
    const { count } = await this.api().count(name, { filter: translated.filter as Schemas['Filter'], exact: true });
    if (!count) return 0;
    await this.api().delete(name, { wait: true, filter: translated.filter as Schemas['Filter'] });
    return count;
  }

  async deleteIds(collection: string, ids: readonly string[]): Promise<number> {
    checkName('collection', collection);
    if (!ids.length) return 0;
    const c = await this.collection(collection);
    if (!c) return 0;
    return this.deletePoints(collection, [...new Set(ids)].map(pointId));
  }

  async updateWhere(collection: string, filter: VectorFilter, payload: Payload): Promise<number> {
    checkName('collection', collection);
    if (isEmptyFilter(filter)) {
      throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, 'updateWhere needs at least one condition');
    }
    const c = await this.collection(collection);
    if (!c || !Object.keys(payload).length) return 0;
    await this.refreshFieldsFor(collection, c, filter);
    await this.addPayloadFields(collection, c, [payload]);
    const translated = toQdrantFilter(filter, c.fields);
    if (translated.filter === false) return 0;
    // The matching points are listed first, then changed by id: setting and clearing are two requests, and the
    // first may change a field the filter reads.
    const ids = await this.matchingPointIds(collection, c, filter, translated.filter, translated.recheck);
    const set: Record<string, unknown> = {};
    const cleared: string[] = [];
    for (const [field, value] of Object.entries(payload)) {
      if (value === null) cleared.push(field);
      else set[field] = value;
    }
    const name = this.qname(collection);
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      const points = ids.slice(i, i + ID_BATCH);
      if (Object.keys(set).length) await this.api().setPayload(name, { wait: true, points, payload: set });
      if (cleared.length) await this.api().deletePayload(name, { wait: true, points, keys: cleared });
    }
    return ids.length;
  }

  async ping(): Promise<void> {
    await this.api().getCollections();
  }

  async close(): Promise<void> {
    // Requests under way finish on their own (each write waits for Qdrant to apply it); nothing is buffered here.
    this.closed = true;
    this.collections.clear();
    this.client = null;
  }

  private api(): QdrantClient {
    if (this.closed) throw new Error('the vector store is closed');
    if (!this.client) {
      const url = new URL(this.opts.url);
      // A URL without a port means Qdrant's 6333; an explicit default port (`https://host:443`) is kept.
      const explicitPort = /^[a-z]+:\/\/[^/]*:(\d+)(?:\/|$)/i.exec(this.opts.url)?.[1];
      this.client = new (qdrantModule().QdrantClient)({
        url: `${url.protocol}//${url.hostname}`,
        port: explicitPort ? Number(explicitPort) : 6333,
        // Behind a reverse proxy under a path (`https://host/qdrant`): the client drops a URL's path otherwise.
        ...(url.pathname.replace(/\/+$/, '') ? { prefix: url.pathname.replace(/\/+$/, '') } : {}),
        ...(this.opts.apiKey ? { apiKey: this.opts.apiKey } : {}),
        timeout: this.opts.timeoutMs ?? 30_000,
        // The version check is an extra request at start-up whose only outcome is a console warning.
        checkCompatibility: false,
      });
    }
    return this.client;
  }

  private qname(collection: string): string {
    return this.prefix + collection;
  }

  private timeoutS(): number {
    return Math.ceil((this.opts.timeoutMs ?? 30_000) / 1000);
  }

  /** The collection, or null if it does not exist (not cached: another process may create it). */
  private async collection(name: string): Promise<Collection | null> {
    let pending = this.collections.get(name);
    if (!pending) {
      pending = this.read(name);
      this.collections.set(name, pending);
    }
    try {
      const c = await pending;
      if (!c && this.collections.get(name) === pending) this.collections.delete(name);
      return c;
    } catch (err) {
      if (this.collections.get(name) === pending) this.collections.delete(name);
      throw err;
    }
  }

  private async read(name: string): Promise<Collection | null> {
    const { exists } = await this.api().collectionExists(this.qname(name));
    if (!exists) return null;
    const info = await this.api().getCollection(this.qname(name));
    const vectors = info.config.params.vectors as { size?: number; distance?: string } | undefined;
    if (!vectors || typeof vectors.size !== 'number') {
      throw new Error(
        `Qdrant collection ${this.qname(name)} is not a vector collection of this store (no unnamed vector)`,
      );
    }
    if (vectors.distance !== 'Cosine') {
      throw new Error(`Qdrant collection ${this.qname(name)} uses ${vectors.distance} distance, not Cosine`);
    }
    return { dims: vectors.size, fields: payloadFields(info.payload_schema) };
  }

  /** Re-reads the payload schema when a filter names a field this process has not seen (another may have added it). */
  private async refreshFieldsFor(collection: string, c: Collection, filter: VectorFilter): Promise<void> {
    if (filterFields(filter).every((f) => c.fields.has(f))) return;
    const info = await this.api().getCollection(this.qname(collection));
    c.fields = payloadFields(info.payload_schema);
  }

  /** Indexes each payload field not stored yet; checks that every value has its field's type. */
  private async addPayloadFields(collection: string, c: Collection, payloads: readonly Payload[]): Promise<void> {
    const added = newPayloadFields(collection, c.fields, payloads);
    if (added.size) await this.createIndexes(collection, c, added);
  }

  private async createIndexes(collection: string, c: Collection, fields: ReadonlyMap<string, PayloadFieldType>) {
    for (const [field, type] of fields) {
      await this.api().createPayloadIndex(this.qname(collection), {
        wait: true,
        field_name: field,
        field_schema: indexSchema(field, type),
      });
      c.fields.set(field, type);
    }
  }

  /** The ids of the points matching the filter, read page by page (checked on the payload when `recheck`). */
  private async matchingPointIds(
    collection: string,
    c: Collection,
    filter: VectorFilter,
    where: QdrantFilter,
    recheck = true,
  ): Promise<string[]> {
    const ids: string[] = [];
    let offset: Schemas['ExtendedPointId'] | null | undefined;
    do {
      const page = await this.api().scroll(this.qname(collection), {
        filter: where as Schemas['Filter'],
        limit: SCROLL_PAGE,
        ...(offset !== undefined && offset !== null ? { offset } : {}),
        with_payload: recheck,
        with_vector: false,
      });
      for (const point of page.points) {
        if (recheck && !matchesFilter(filter, readPayload(point.payload).payload, c.fields)) continue;
        ids.push(String(point.id));
      }
      offset = page.next_page_offset as Schemas['ExtendedPointId'] | null | undefined;
    } while (offset !== undefined && offset !== null);
    return ids;
  }

  /** Deletes the points that exist among `ids`, returning how many there were. */
  private async deletePoints(collection: string, ids: readonly string[]): Promise<number> {
    const name = this.qname(collection);
    let deleted = 0;
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      const points = ids.slice(i, i + ID_BATCH);
      const { count } = await this.api().count(name, { filter: { must: [{ has_id: points }] }, exact: true });
      if (!count) continue;
      await this.api().delete(name, { wait: true, points });
      deleted += count;
    }
    return deleted;
  }
}

function indexSchema(field: string, type: PayloadFieldType): Schemas['PayloadFieldSchema'] {
  switch (type) {
    case 'string':
      // The owner's field groups each tenant's points on disk and in the HNSW graph.
      return field === 'user_id' ? { type: 'keyword', is_tenant: true } : 'keyword';
    case 'number':
      return 'float';
    case 'boolean':
      return 'bool';
  }
}

/** The field types of a collection's payload schema (indexes of other types, made by hand, are left out). */
function payloadFields(schema: Schemas['CollectionInfo']['payload_schema'] | undefined): Map<string, PayloadFieldType> {
  const fields = new Map<string, PayloadFieldType>();
  for (const [field, info] of Object.entries(schema ?? {})) {
    if (field === ID_KEY || field === TEXT_KEY) continue;
    const type = info?.data_type;
    if (type === 'keyword') fields.set(field, 'string');
    else if (type === 'float' || type === 'integer') fields.set(field, 'number');
    else if (type === 'bool') fields.set(field, 'boolean');
  }
  return fields;
}

/** The record id, text and own fields of a point's payload. */
function readPayload(stored: Record<string, unknown> | null | undefined): {
  id: string;
  text: string | null;
  payload: Payload;
} {
  const payload: Payload = {};
  for (const [field, value] of Object.entries(stored ?? {})) {
    if (field === ID_KEY || field === TEXT_KEY || value === null || value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') payload[field] = value;
  }
  const text = stored?.[TEXT_KEY];
  return { id: String(stored?.[ID_KEY] ?? ''), text: typeof text === 'string' ? text : null, payload };
}

function checkVector(vector: VectorLike, dims: number, what: string): void {
  if (vector.length !== dims) {
    throw new VectorStoreError(
      VectorStoreErrorCode.DimensionMismatch,
      `${what} has ${vector.length} dimensions, the collection ${dims}`,
    );
  }
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) {
      throw new VectorStoreError(VectorStoreErrorCode.InvalidArgument, `${what} has a non-finite value`);
    }
  }
}
