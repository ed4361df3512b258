-- The plugin lifecycle (issue 4): every component uploaded, every version
-- (a component with its county's configuration) and every activation, so
-- that a stored price can be recomputed by the version that made it and a
-- restart or another replica loads the same plugins.
-- sqlite/ and postgres/ 0006_plugin_versions.sql must stay equivalent.

-- Components by the SHA-256 of their bytes (lower-case hex).
CREATE TABLE plugin_components (
    sha256       TEXT PRIMARY KEY,
    bytes        BLOB NOT NULL,
    world        TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);

-- A version: `hash` is what contracts record as their plugin_hash.
CREATE TABLE plugin_versions (
    hash         TEXT PRIMARY KEY,
    county_code  TEXT NOT NULL,
    component    TEXT NOT NULL REFERENCES plugin_components (sha256),
    config       TEXT NOT NULL,
    version      TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL
);
CREATE INDEX plugin_versions_by_county ON plugin_versions (county_code);

-- Which version a county uses from which day: on a day, the latest
-- activation not rolled back whose effective day has come.
CREATE TABLE plugin_activations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    county_code     TEXT NOT NULL,
    version_hash    TEXT NOT NULL REFERENCES plugin_versions (hash),
    effective_from  TEXT NOT NULL,
    activated_at    TEXT NOT NULL,
    activated_by    TEXT NOT NULL,
    rolled_back_at  TEXT,
    rolled_back_by  TEXT
);
CREATE INDEX plugin_activations_by_county ON plugin_activations (county_code, id);
