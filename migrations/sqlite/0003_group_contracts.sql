-- Group contracts (团体签约): a functional community signs for its members;
-- each member's own contract names the group it was signed under.
-- postgres/0003_group_contracts.sql must stay equivalent to this file.
CREATE TABLE group_contracts (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities (id),
    team_id      TEXT NOT NULL REFERENCES teams (id),
    county_code  TEXT NOT NULL REFERENCES counties (code),
    period       INTEGER NOT NULL,
    packages     TEXT NOT NULL,
    signed_on    TEXT NOT NULL,
    signed_by    TEXT NOT NULL
);
CREATE INDEX contracts_by_group ON contracts (group_id);
