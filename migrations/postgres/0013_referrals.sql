-- Referrals (转诊) up to the county hospital and down to the resident's team,
-- the appointments and beds a hospital reserves for each team per day, and
-- tuberculosis patients' moves out of the county, reported upward.
-- sqlite/ and postgres/ 0013_referrals.sql must stay equivalent.
CREATE TABLE referrals (
    id               TEXT PRIMARY KEY,
    -- up or down.
    direction        TEXT NOT NULL,
    resident_id      TEXT NOT NULL,
    contract_id      TEXT NOT NULL REFERENCES contracts (id),
    team_id          TEXT NOT NULL,
    county_code      TEXT NOT NULL,
    from_institution TEXT NOT NULL REFERENCES institutions (id),
    to_institution   TEXT NOT NULL REFERENCES institutions (id),
    reason           TEXT NOT NULL,
    suggestion_id    TEXT REFERENCES referral_suggestions (id),
    green_channel    INTEGER NOT NULL,
    -- specialist_slot or bed, with its day; both or neither.
    reservation_kind TEXT,
    reserved_on      TEXT,
    -- JSON list of {drug, dosage, days}: what a referral down continues.
    prescription     TEXT NOT NULL,
    -- requested, accepted, declined, completed or cancelled.
    status           TEXT NOT NULL,
    status_note      TEXT,
    referred_on      TEXT NOT NULL,
    follow_up_due    TEXT NOT NULL,
    followed_up_on   TEXT,
    follow_up_mode   TEXT,
    follow_up_note   TEXT,
    referred_by      TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK ((reservation_kind IS NULL) = (reserved_on IS NULL))
);
CREATE INDEX referrals_team ON referrals (team_id, referred_on);
CREATE INDEX referrals_from ON referrals (from_institution, referred_on);
CREATE INDEX referrals_to ON referrals (to_institution, referred_on);
CREATE INDEX referrals_resident ON referrals (resident_id, referred_on);
-- How many of a team's reservations a day already holds.
CREATE INDEX referrals_reserved ON referrals (to_institution, team_id, reservation_kind, reserved_on);

-- 专家号、预留床位: per hospital, team and kind, how many a day.
CREATE TABLE referral_capacity (
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    team_id        TEXT NOT NULL REFERENCES teams (id),
    kind           TEXT NOT NULL,
    per_day        INTEGER NOT NULL CHECK (per_day >= 0),
    PRIMARY KEY (institution_id, team_id, kind)
);

-- A tuberculosis patient who moved out of the county: reported upward.
CREATE TABLE move_out_reports (
    id          TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    county_code TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    moved_on    TEXT NOT NULL,
    destination TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TEXT NOT NULL
);
CREATE INDEX move_out_reports_county ON move_out_reports (county_code, moved_on);
