/** The stored Merkle tree (RFC 9162) over the log: every perfect subtree of level ≥ 1 (leaves are the events' hashes). */
export const MERKLE_TREE_TABLES = ['merkle_nodes'] as const;
