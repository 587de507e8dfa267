"""`pipegen deploy`, `status` and `stop`: the project's pipeline as one job on a running Flink cluster,
through the JobManager's REST API.

- ``command``: the three commands, from their options to their output.
- ``rest``: the JobManager's REST API (jobs, checkpoints, metrics, cancel, stop with a savepoint).
- ``submit``: the submission, in a worker process (PyFlink builds the job graph and sends it with the jars).
"""
