-- The agents' failed enrollments and the agents backing off after a failed call (sim-core
-- model/check-in-cadence.ts), and screenshots of business apps that reached the personal side (the
-- leak ledger's fourth flow), per tick as the other KPIs.
ALTER TABLE tick_kpis
  ADD COLUMN enrollment_failures bigint NOT NULL DEFAULT 0,
  ADD COLUMN agents_backing_off bigint NOT NULL DEFAULT 0,
  ADD COLUMN leaks_screen_capture_work_to_personal bigint NOT NULL DEFAULT 0;
