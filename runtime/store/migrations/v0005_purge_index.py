"""Version 5: the work orders by workflow and creation time, so a purge reads only those made before its
cutoff (an index range), never the history it keeps. Writes to ``work_orders`` wait while it is built
(seconds on a store of a million runs).
"""

SQL = """
CREATE INDEX work_orders_workflow_created ON work_orders (workflow, created_at);
"""
