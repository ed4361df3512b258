-- Every policy set ever published (政策版本), oldest first; the newest row is
-- the set in force on every kernel sharing this database. A rollback
-- publishes an earlier version's files again as a new version that names
-- the one it restores. Rows are never changed or deleted: this is the
-- history policy officers and auditors read.
-- sqlite/ and postgres/ 0008_policy_versions.sql must stay equivalent.
CREATE TABLE policy_versions (
    version      BIGINT PRIMARY KEY,
    -- JSON object: policy file name -> Cedar text (the schema is the kernel's).
    files        TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    restores     BIGINT REFERENCES policy_versions (version)
);
