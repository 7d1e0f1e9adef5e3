"""Version 1: work orders, runs, steps, logs, cron firings and the workers' heartbeats.

- ``work_orders.seq`` is the arrival order (whatever the machines' clocks say);
  the queue is ``(priority, available_at, arrival, attempt)``;
- a partial unique index keeps at most one unfinished run per work order, so
  two machines can never queue or run a work order twice at once;
- ``cron_firings`` has one row per ``(workflow, trigger, scheduled_at)``: the
  primary key is what makes a schedule fire once across every server;
- ids are ``COLLATE "C"`` so a prefix (``pyfn runs show 3f2c``) is an index range;
- ``workers.heartbeat_at`` is written with the database's clock, so a stale
  worker is judged by one clock only, and against its own ``lost_after_s``
  (each process says how long it may stay silent).
"""

SQL = """
CREATE TABLE work_orders (
  id text COLLATE "C" PRIMARY KEY,
  seq bigserial NOT NULL,
  workflow text NOT NULL,
  trigger text,
  dedupe_key text,
  input text NOT NULL,
  created_at timestamptz NOT NULL,
  wiped_at timestamptz,
  UNIQUE (workflow, dedupe_key));
CREATE INDEX work_orders_workflow ON work_orders (workflow, seq);

CREATE TABLE runs (
  id text COLLATE "C" PRIMARY KEY,
  work_order_id text COLLATE "C" NOT NULL REFERENCES work_orders (id) ON DELETE CASCADE,
  workflow text NOT NULL,
  state text NOT NULL CHECK (state IN ('available', 'claimed', 'started', 'success', 'failed', 'crashed',
                                       'killed', 'lost')),
  error_type text,
  priority integer NOT NULL DEFAULT 1,
  attempt integer NOT NULL DEFAULT 1,
  cause text NOT NULL DEFAULT 'trigger',
  start_step text,
  input text,
  worker text,
  inserted_at timestamptz NOT NULL,
  available_at timestamptz NOT NULL,
  claimed_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  final_state text,
  webhook_response text);
CREATE INDEX runs_queue ON runs (priority, available_at) WHERE state = 'available';
CREATE INDEX runs_available_workflow ON runs (workflow) WHERE state = 'available';
CREATE UNIQUE INDEX runs_one_unfinished_per_work_order ON runs (work_order_id)
  WHERE state IN ('available', 'claimed', 'started');
CREATE INDEX runs_active_worker ON runs (worker) WHERE state IN ('claimed', 'started');
CREATE INDEX runs_active_workflow ON runs (workflow) WHERE state IN ('claimed', 'started');
CREATE INDEX runs_work_order ON runs (work_order_id, attempt);
CREATE INDEX runs_workflow ON runs (workflow, inserted_at);
CREATE INDEX runs_workflow_state ON runs (workflow, state, finished_at);
CREATE INDEX runs_inserted ON runs (inserted_at);

CREATE TABLE steps (
  run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step text NOT NULL,
  seq integer NOT NULL,
  input text,
  output text,
  error text,
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (run_id, step));

CREATE TABLE logs (
  run_id text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  at timestamptz NOT NULL,
  line text NOT NULL,
  PRIMARY KEY (run_id, seq));

CREATE TABLE cron_firings (
  workflow text NOT NULL,
  trigger text NOT NULL,
  scheduled_at timestamptz NOT NULL,
  work_order_id text COLLATE "C",
  fired_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow, trigger, scheduled_at));

CREATE TABLE workers (
  id text PRIMARY KEY,
  kind text NOT NULL DEFAULT 'server',
  host text,
  pid integer,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  lost_after_s double precision NOT NULL DEFAULT 30);
"""
