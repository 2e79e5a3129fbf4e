import { QdrantClient } from '@qdrant/js-client-rest';
import { randomBytes } from 'node:crypto';
import { QdrantVectorStore } from './qdrant-vector-store';
import { describeVectorStoreConformance } from './vector-store.conformance';

/**
 * The conformance suite against a real Qdrant server: runs only when QDRANT_URL is set (e.g.
 * `QDRANT_URL=http://localhost:6333 npx jest libs/platform/src/vector-store`), as no Qdrant server runs on the CI
 * machine. Each test writes collections under its own prefix and deletes them afterwards.
 */
const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY || undefined;

if (!url) {
  console.info('Qdrant conformance skipped: set QDRANT_URL (e.g. http://localhost:6333) to run it against a server.');
}

describeVectorStoreConformance(
  `Qdrant at ${url ?? '(QDRANT_URL not set: skipped)'}`,
  async () => {
    const collectionPrefix = `llmp_test_${randomBytes(4).toString('hex')}_`;
    const open = () => new QdrantVectorStore({ url: url!, apiKey, collectionPrefix });
    return {
      store: open(),
      another: open,
      cleanup: async () => {
        const admin = new QdrantClient({ url: url!, apiKey, checkCompatibility: false });
        const { collections } = await admin.getCollections();
        for (const c of collections.filter((c) => c.name.startsWith(collectionPrefix))) {
          await admin.deleteCollection(c.name);
        }
      },
    };
  },
  url ? describe : describe.skip,
);
