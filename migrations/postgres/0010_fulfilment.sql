-- Fulfilment (履约): the service items a team delivered, and the referral
-- suggestions the national protocols raised from their measurements.
-- Service records are only added: a correction is a new row naming the row
-- it corrects, and a row is corrected at most once (the unique index referees
-- two corrections racing). Glucose is in 0.1 mmol/L, as integers.
-- sqlite/ and postgres/ 0010_fulfilment.sql must stay equivalent.
CREATE TABLE service_records (
    id              TEXT PRIMARY KEY,
    contract_id     TEXT NOT NULL REFERENCES contracts (id),
    resident_id     TEXT NOT NULL,
    team_id         TEXT NOT NULL,
    county_code     TEXT NOT NULL,
    package_code    TEXT NOT NULL,
    item_code       TEXT NOT NULL,
    delivered_on    TEXT NOT NULL,
    place           TEXT NOT NULL,
    -- centralised, team_make_up, individual or home_visit.
    mode            TEXT NOT NULL,
    systolic        BIGINT,
    diastolic       BIGINT,
    fasting_glucose BIGINT,
    heart_rate      BIGINT,
    risk_level      BIGINT,
    corrects        TEXT REFERENCES service_records (id),
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX service_records_corrects ON service_records (corrects);
CREATE INDEX service_records_contract ON service_records (contract_id, delivered_on);
CREATE INDEX service_records_resident ON service_records (resident_id, delivered_on);
CREATE INDEX service_records_team ON service_records (team_id, delivered_on);
-- A team's contracts of a period: its work list.
CREATE INDEX contracts_by_team_period ON contracts (team_id, period);

-- 转诊建议: raised by a service record's measurements; open until acted on.
CREATE TABLE referral_suggestions (
    id           TEXT PRIMARY KEY,
    record_id    TEXT NOT NULL REFERENCES service_records (id),
    contract_id  TEXT NOT NULL,
    resident_id  TEXT NOT NULL,
    team_id      TEXT NOT NULL,
    county_code  TEXT NOT NULL,
    -- glucose_uncontrolled, blood_pressure_uncontrolled or mental_disorder_unstable.
    reason       TEXT NOT NULL,
    suggested_on TEXT NOT NULL,
    status       TEXT NOT NULL
);
CREATE INDEX referral_suggestions_team ON referral_suggestions (team_id, status);

CREATE FUNCTION service_records_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'service records are append-only: record a correction';
END;
$$;
CREATE TRIGGER service_records_are_append_only BEFORE UPDATE OR DELETE ON service_records
    FOR EACH ROW EXECUTE FUNCTION service_records_are_append_only();
