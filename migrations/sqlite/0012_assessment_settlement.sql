-- Assessment and settlement (考核与结算): residents' satisfaction as surveys
-- and inspectors' phone spot checks record it, and each team's settlement
-- of a period, stored once with what it was computed from and never changed.
-- sqlite/ and postgres/ 0012_assessment_settlement.sql must stay equivalent.
CREATE TABLE satisfaction_checks (
    id             TEXT PRIMARY KEY,
    contract_id    TEXT NOT NULL REFERENCES contracts (id),
    resident_id    TEXT NOT NULL,
    team_id        TEXT NOT NULL,
    county_code    TEXT NOT NULL,
    checked_on     TEXT NOT NULL,
    -- survey or phone_spot_check.
    method         TEXT NOT NULL,
    reached        INTEGER NOT NULL,
    satisfied      INTEGER NOT NULL,
    note           TEXT NOT NULL,
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL
);
CREATE INDEX satisfaction_checks_county ON satisfaction_checks (county_code, checked_on);

CREATE TABLE settlements (
    county_code    TEXT NOT NULL,
    period         INTEGER NOT NULL,
    team_id        TEXT NOT NULL,
    total          BIGINT NOT NULL,
    -- JSON: the plugin's itemised lines.
    lines          TEXT NOT NULL,
    -- JSON: the team's activity the plugin was given.
    activity       TEXT NOT NULL,
    plugin_hash    TEXT NOT NULL,
    plugin_version TEXT NOT NULL,
    settled_by     TEXT NOT NULL,
    settled_at     TEXT NOT NULL,
    PRIMARY KEY (county_code, period, team_id)
);

CREATE TRIGGER settlements_are_immutable_update BEFORE UPDATE ON settlements
BEGIN
    SELECT RAISE(ABORT, 'settlements are immutable');
END;
CREATE TRIGGER settlements_are_immutable_delete BEFORE DELETE ON settlements
BEGIN
    SELECT RAISE(ABORT, 'settlements are immutable');
END;
