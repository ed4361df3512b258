-- Counties, institutions, teams, residents and priced contracts.
-- Dates are ISO 8601 text; money is integer fen; ids are opaque text.
-- sqlite/0001_skeleton.sql must stay equivalent to this file.

CREATE TABLE counties (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE institutions (
    id          TEXT PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES counties (code),
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_id   TEXT REFERENCES institutions (id)
);

CREATE TABLE teams (
    id             TEXT PRIMARY KEY,
    county_code    TEXT NOT NULL REFERENCES counties (code),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    name           TEXT NOT NULL
);
CREATE INDEX teams_by_county ON teams (county_code);

CREATE TABLE residents (
    id            TEXT PRIMARY KEY,
    county_code   TEXT NOT NULL REFERENCES counties (code),
    name          TEXT NOT NULL,
    citizen_id    TEXT NOT NULL UNIQUE,
    recorded_tags TEXT NOT NULL DEFAULT ''
);
CREATE INDEX residents_by_county ON residents (county_code, id);

CREATE TABLE contracts (
    id             TEXT PRIMARY KEY,
    resident_id    TEXT NOT NULL REFERENCES residents (id),
    team_id        TEXT NOT NULL REFERENCES teams (id),
    county_code    TEXT NOT NULL REFERENCES counties (code),
    period         INTEGER NOT NULL,
    status         TEXT NOT NULL,
    signed_on      TEXT NOT NULL,
    signed_by      TEXT NOT NULL,
    plugin_hash    TEXT NOT NULL,
    plugin_version TEXT NOT NULL
);
-- One active contract per resident per period: the database is the referee
-- when two clerks sign the same resident at once.
CREATE UNIQUE INDEX contracts_one_active_per_period ON contracts (resident_id, period) WHERE status = 'active';

CREATE TABLE contract_lines (
    contract_id        TEXT NOT NULL REFERENCES contracts (id),
    position           INTEGER NOT NULL,
    package_code       TEXT NOT NULL,
    package_name       TEXT NOT NULL,
    kind               TEXT NOT NULL,
    list_price         BIGINT NOT NULL,
    discount           BIGINT NOT NULL CHECK (discount >= 0),
    public_health_fund BIGINT NOT NULL CHECK (public_health_fund >= 0),
    insurance_fund     BIGINT NOT NULL CHECK (insurance_fund >= 0),
    self_pay           BIGINT NOT NULL CHECK (self_pay >= 0),
    rule               TEXT NOT NULL,
    priced_age         INTEGER NOT NULL,
    priced_tags        TEXT NOT NULL,
    PRIMARY KEY (contract_id, position)
);
