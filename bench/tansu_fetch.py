"""How long a record waits for a consumer on the loopback Tansu broker, by the consumer's fetch wait.

    python -m bench.tansu_fetch

One producer sends a 400-byte record every 100 ms (50 of them) to a topic of a fresh broker; one consumer,
its partition assigned directly, reads them with ``fetch.wait.max.ms`` 500 (Kafka's default), 50 and 10.
Printed: median and max of (arrival - the record's timestamp). A broker that answers a waiting fetch as data
arrives gives a few ms whatever the wait; Tansu answers only when the wait is over.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path


def main() -> None:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    from pipegen.run.broker import Broker

    waits = (500, 50, 10)
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp) / "broker.log")
        broker.start()
        try:
            admin = AdminClient({"bootstrap.servers": broker.bootstrap, "log_level": 0})
            for f in admin.create_topics([NewTopic(f"t{w}", 1, 1) for w in waits]).values():
                f.result(10)
            producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "log_level": 0})
            print(f"load average {os.getloadavg()[0]:.1f}\n")
            print("| fetch.wait.max.ms | median wait | max wait |\n|---|---|---|")
            for w in waits:
                consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "bench", "log_level": 0,
                                     "enable.auto.commit": False, "fetch.wait.max.ms": w})
                consumer.assign([TopicPartition(f"t{w}", 0, OFFSET_BEGINNING)])
                consumer.poll(1.0)  # connected, first (empty) fetch made
                lat: list[float] = []

                def send(topic: str = f"t{w}") -> None:
                    for _ in range(50):
                        producer.produce(topic, b"x" * 400)
                        producer.poll(0)
                        time.sleep(0.1)
                    producer.flush(10)

                t = threading.Thread(target=send)
                t.start()
                deadline = time.time() + 30
                while len(lat) < 50 and time.time() < deadline:
                    m = consumer.poll(0.2)
                    if m is not None and not m.error():
                        lat.append(time.time() - m.timestamp()[1] / 1000)
                t.join()
                consumer.close()
                print(f"| {w} | {statistics.median(lat) * 1000:.0f} ms | {max(lat) * 1000:.0f} ms |", flush=True)
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
