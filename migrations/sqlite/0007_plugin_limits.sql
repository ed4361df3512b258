-- A county's plugin limits (fuel, memory and time a call may use, and the
-- largest component it may upload), set by
-- the region; counties without a row run under the kernel's defaults.
-- sqlite/ and postgres/ 0007_plugin_limits.sql must stay equivalent.
CREATE TABLE plugin_limits (
    county_code   TEXT PRIMARY KEY,
    fuel          BIGINT NOT NULL,
    memory_bytes  BIGINT NOT NULL,
    deadline_ms   BIGINT NOT NULL,
    component_bytes BIGINT NOT NULL,
    set_at        TEXT NOT NULL,
    set_by        TEXT NOT NULL
);
