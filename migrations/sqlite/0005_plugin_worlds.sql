-- WIT qianyue:county@1.0.0 itemises a price's reductions (discounts and
-- waivers, each with its reason). Lines priced by 0.1.0 plugins have none.
-- sqlite/ and postgres/ 0005_plugin_worlds.sql must stay equivalent.
ALTER TABLE contract_lines ADD COLUMN adjustments TEXT NOT NULL DEFAULT '[]';
