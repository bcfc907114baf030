-- When a part or batch kept before its run's STARTED arrived: `duet runs prune --older-than` deletes
-- those whose run never started (no runs row) once they are older than the cut-off.
ALTER TABLE tick_kpi_parts ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE final_state_parts ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE pending_event_batches ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
