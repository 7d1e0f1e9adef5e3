"""Version 4: the workflow version each run ran, and the versions each live server or worker has loaded.

``runs.version`` is set when a run starts (``runtime.workflow.version``: a
content hash of the workflow, its jobs and its credentials' shape, never a
secret); ``workers.versions`` is a JSON object ``{workflow: version}`` each
process writes when it starts and after each live reload, so processes sharing
a store can be seen to converge.
"""

SQL = """
ALTER TABLE runs ADD COLUMN version text;
ALTER TABLE workers ADD COLUMN versions text;
"""
