/** The stored Merkle tree (RFC 9162) over the log: every perfect subtree of level ≥ MIN_STORED_LEVEL (lower ones are recomputed from the events' hashes). */
export const MERKLE_TREE_TABLES = ['merkle_nodes'] as const;

/**
 * The lowest level of the tree that is stored. Levels below it are recomputed from the events'
 * own hashes when read: a node of level L < 2 from at most 2^L = 2 consecutive events, so a root or
 * proof reads at most 2·4 extra event hashes (one or two range reads) and stays O(log n). Each
 * append then writes about one row per 2 events (n/4 + n/8 + … ≈ n/2 rows) instead of one per event (the append's cost of the
 * tree; bench "append with the Merkle tree"). Level 4 (about one row per 8 events) was measured too:
 * the append no cheaper within noise, proofs ~20% fewer per second at 1,000,000 events.
 * Migration 1764600000026 dropped the stored lower levels.
 */
export const MIN_STORED_LEVEL = 2;

/** Whether node (level, ·) is a row of merkle_nodes. */
export const isStoredLevel = (level: number): boolean => level >= MIN_STORED_LEVEL;
