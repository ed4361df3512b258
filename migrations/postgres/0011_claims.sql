-- Claims (医保报销): service episodes of signed residents, adjudicated by the
-- county's insurance plugin. A claim and its shares are only added. A
-- claim's sequence is its place in the resident's insurance year: two
-- claims adjudicated at once against the same year-to-date cannot both be
-- stored (the unique index), so deductibles are never applied twice.
-- sqlite/ and postgres/ 0011_claims.sql must stay equivalent.
CREATE TABLE claims (
    id             TEXT PRIMARY KEY,
    resident_id    TEXT NOT NULL,
    contract_id    TEXT NOT NULL REFERENCES contracts (id),
    team_id        TEXT NOT NULL,
    county_code    TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    -- outpatient, inpatient or rehabilitation.
    kind           TEXT NOT NULL,
    -- village_clinic, township_centre, county_hospital or above_county.
    level          TEXT NOT NULL,
    referred       INTEGER NOT NULL,
    care_on        TEXT NOT NULL,
    care_year      INTEGER NOT NULL,
    amount         BIGINT NOT NULL,
    sequence       INTEGER NOT NULL,
    plugin_hash    TEXT NOT NULL,
    plugin_version TEXT NOT NULL,
    submitted_by   TEXT NOT NULL,
    submitted_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX claims_sequence ON claims (resident_id, care_year, sequence);
CREATE INDEX claims_team ON claims (team_id, care_year);

-- Who pays what of a claim, and why, in the plugin's order.
CREATE TABLE claim_shares (
    claim_id TEXT NOT NULL REFERENCES claims (id),
    position INTEGER NOT NULL,
    -- deductible, reimbursement, co_payment, over_cap, top_up or compensation.
    kind     TEXT NOT NULL,
    -- insurance_fund, health_centre, medical_assistance or resident.
    payer    TEXT NOT NULL,
    amount   BIGINT NOT NULL,
    reason   TEXT NOT NULL,
    PRIMARY KEY (claim_id, position)
);
