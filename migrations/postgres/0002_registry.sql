-- The registry and the contract lifecycle: villages, team members and
-- capacity, households, dated population tags, contract states, the
-- append-only event log and idempotency keys.
-- sqlite/0002_registry.sql must stay equivalent to this file.

-- A township centre is backed by the county hospital whose specialists join its teams.
ALTER TABLE institutions ADD COLUMN backed_by TEXT REFERENCES institutions (id);

-- Administrative villages (行政村): where households live and village doctors work.
CREATE TABLE villages (
    id          TEXT PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES counties (code),
    township_id TEXT NOT NULL REFERENCES institutions (id),
    clinic_id   TEXT REFERENCES institutions (id),
    name        TEXT NOT NULL
);

-- Health workers who can join teams.
CREATE TABLE members (
    id             TEXT PRIMARY KEY,
    county_code    TEXT NOT NULL REFERENCES counties (code),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    name           TEXT NOT NULL,
    -- Holds a practising licence and general-practice training (required of a team leader).
    licensed_gp    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE team_members (
    team_id   TEXT NOT NULL REFERENCES teams (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    role      TEXT NOT NULL,
    PRIMARY KEY (team_id, member_id)
);

ALTER TABLE teams ADD COLUMN leader_id TEXT REFERENCES members (id);
-- Panel capacity; the documents' upper figures (4,000 households, 12,000 residents) by default.
ALTER TABLE teams ADD COLUMN capacity_households INTEGER NOT NULL DEFAULT 4000;
ALTER TABLE teams ADD COLUMN capacity_residents INTEGER NOT NULL DEFAULT 12000;

-- Households (户): one family doctor at a time.
CREATE TABLE households (
    id          TEXT PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES counties (code),
    village_id  TEXT REFERENCES villages (id),
    address     TEXT NOT NULL DEFAULT '',
    -- The poverty-alleviation department's household number (户编号), when imported.
    external_no TEXT
);
CREATE UNIQUE INDEX households_by_external_no ON households (county_code, external_no);

ALTER TABLE residents ADD COLUMN household_id TEXT REFERENCES households (id);
ALTER TABLE residents ADD COLUMN phone TEXT;
CREATE INDEX residents_by_household ON residents (household_id);

-- Recorded population tags with the date each was recorded and where it came from.
CREATE TABLE resident_tags (
    resident_id TEXT NOT NULL REFERENCES residents (id),
    tag         TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (resident_id, tag)
);
INSERT INTO resident_tags (resident_id, tag, recorded_on, source)
SELECT id, tag, '1970-01-01', 'registration'
FROM residents, unnest(string_to_array(recorded_tags, ',')) AS tag WHERE tag <> '';
ALTER TABLE residents DROP COLUMN recorded_tags;

-- Contract states: active, switched (moved to another team of the institution),
-- terminated, expired (the period ended).
ALTER TABLE contracts ADD COLUMN household_id TEXT REFERENCES households (id);
ALTER TABLE contracts ADD COLUMN institution_id TEXT REFERENCES institutions (id);
ALTER TABLE contracts ADD COLUMN ended_on TEXT;
ALTER TABLE contracts ADD COLUMN end_reason TEXT;
ALTER TABLE contracts ADD COLUMN renewal_objected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contracts ADD COLUMN renewed_from TEXT REFERENCES contracts (id);
ALTER TABLE contracts ADD COLUMN group_id TEXT;
-- A contract is renewed at most once, however often the renewal job runs.
CREATE UNIQUE INDEX contracts_renewed_once ON contracts (renewed_from);
CREATE INDEX contracts_by_county_period ON contracts (county_code, period, status);

-- The household's family doctor per period: the first member to sign sets it.
CREATE TABLE household_doctors (
    household_id TEXT NOT NULL REFERENCES households (id),
    period       INTEGER NOT NULL,
    team_id      TEXT NOT NULL REFERENCES teams (id),
    members      INTEGER NOT NULL,
    PRIMARY KEY (household_id, period)
);

-- Signed households and residents per team and period, checked against capacity.
CREATE TABLE team_load (
    team_id    TEXT NOT NULL REFERENCES teams (id),
    period     INTEGER NOT NULL,
    households INTEGER NOT NULL DEFAULT 0 CHECK (households >= 0),
    residents  INTEGER NOT NULL DEFAULT 0 CHECK (residents >= 0),
    PRIMARY KEY (team_id, period)
);

-- Functional communities (功能社区) that sign for their members.
CREATE TABLE communities (
    id          TEXT PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES counties (code),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL
);

-- Why a must-sign resident (应签尽签) is not signed in a period (未签约情况说明).
CREATE TABLE unsigned_reasons (
    resident_id TEXT NOT NULL REFERENCES residents (id),
    period      INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    PRIMARY KEY (resident_id, period)
);

-- Every change, in order: who, when, what, why. Never updated or deleted.
CREATE TABLE events (
    seq     BIGSERIAL PRIMARY KEY,
    stream  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    payload TEXT NOT NULL,
    actor   TEXT NOT NULL,
    at      TEXT NOT NULL,
    reason  TEXT
);
CREATE INDEX events_by_stream ON events (stream, seq);

-- The first answer to each command sent with an idempotency key.
CREATE TABLE idempotency (
    subject      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER,
    body         TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (subject, key)
);

-- Progress of each annual renewal run, so a crashed run resumes.
CREATE TABLE renewal_runs (
    county_code TEXT NOT NULL REFERENCES counties (code),
    from_period INTEGER NOT NULL,
    last_contract_id TEXT NOT NULL DEFAULT '',
    renewed     INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (county_code, from_period)
);
