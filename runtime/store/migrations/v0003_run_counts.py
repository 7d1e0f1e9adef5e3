"""Version 3: the runs counted by workflow, state and whether a step failed, so counting never reads the history.

Every statement that inserts, changes or deletes runs appends its net change to
``run_count_changes`` (a statement-level trigger over the rows it touched),
in its own transaction: writers only ever insert there, so they never wait on one
another for a counter row. A count is ``run_counts`` plus the pending changes;
:func:`runtime.store.postgres_ops.fold_counts` moves the changes into
``run_counts`` now and then. A step that fails marks its run ``step_failed``.
The table is locked while the counters are first filled from the runs it holds.
"""

SQL = """
LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE runs ADD COLUMN step_failed boolean NOT NULL DEFAULT false;
UPDATE runs SET step_failed = true WHERE id IN (SELECT run_id FROM steps WHERE error IS NOT NULL);

CREATE TABLE run_counts (
  workflow text NOT NULL,
  state text NOT NULL,
  step_failed boolean NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (workflow, state, step_failed));
CREATE TABLE run_count_changes (
  workflow text NOT NULL,
  state text NOT NULL,
  step_failed boolean NOT NULL,
  n bigint NOT NULL);
INSERT INTO run_counts (workflow, state, step_failed, n)
  SELECT workflow, state, step_failed, COUNT(*) FROM runs GROUP BY workflow, state, step_failed;

CREATE FUNCTION pyfn_runs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO run_count_changes (workflow, state, step_failed, n)
    SELECT workflow, state, step_failed, COUNT(*) FROM came GROUP BY workflow, state, step_failed;
  RETURN NULL;
END $$;
CREATE FUNCTION pyfn_runs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO run_count_changes (workflow, state, step_failed, n)
    SELECT workflow, state, step_failed, SUM(n) FROM (
      SELECT workflow, state, step_failed, -1 AS n FROM gone
      UNION ALL SELECT workflow, state, step_failed, 1 FROM came) AS moved
    GROUP BY workflow, state, step_failed HAVING SUM(n) <> 0;
  RETURN NULL;
END $$;
CREATE FUNCTION pyfn_runs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO run_count_changes (workflow, state, step_failed, n)
    SELECT workflow, state, step_failed, -COUNT(*) FROM gone GROUP BY workflow, state, step_failed;
  RETURN NULL;
END $$;
CREATE FUNCTION pyfn_step_failed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE runs SET step_failed = true WHERE id = NEW.run_id AND NOT step_failed;
  RETURN NULL;
END $$;

CREATE TRIGGER runs_counted_insert AFTER INSERT ON runs REFERENCING NEW TABLE AS came
  FOR EACH STATEMENT EXECUTE FUNCTION pyfn_runs_inserted();
CREATE TRIGGER runs_counted_update AFTER UPDATE ON runs REFERENCING OLD TABLE AS gone NEW TABLE AS came
  FOR EACH STATEMENT EXECUTE FUNCTION pyfn_runs_updated();
CREATE TRIGGER runs_counted_delete AFTER DELETE ON runs REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION pyfn_runs_deleted();
CREATE TRIGGER steps_failed AFTER INSERT OR UPDATE OF error ON steps
  FOR EACH ROW WHEN (NEW.error IS NOT NULL) EXECUTE FUNCTION pyfn_step_failed();
"""
