-- Per-persona cost and the data-leak ledger by flow (sim-core measure/tick-kpis.ts, appended KPIs),
-- and each hypervisor shard's ledger cells, kept with its final state until the run completes.
ALTER TABLE tick_kpis
  ADD COLUMN energy_personal_micro_ah bigint NOT NULL DEFAULT 0,
  ADD COLUMN energy_business_micro_ah bigint NOT NULL DEFAULT 0,
  ADD COLUMN data_personal_kilobytes bigint NOT NULL DEFAULT 0,
  ADD COLUMN data_business_kilobytes bigint NOT NULL DEFAULT 0,
  ADD COLUMN sessions_degraded_personal bigint NOT NULL DEFAULT 0,
  ADD COLUMN sessions_degraded_business bigint NOT NULL DEFAULT 0,
  ADD COLUMN leaks_copy_work_to_personal bigint NOT NULL DEFAULT 0,
  ADD COLUMN leaks_share_work_to_personal bigint NOT NULL DEFAULT 0,
  ADD COLUMN leaks_work_contact_lookup bigint NOT NULL DEFAULT 0;
-- [{ "flowKind", "policyRevision", "count", "firstTick", "lastTick" }], empty for the persona roles.
ALTER TABLE final_state_parts ADD COLUMN leaks jsonb NOT NULL DEFAULT '[]';
