"""What the room tests share: numbers, a SUBSCRIBE whose replay and RECEIPT are collected,
publishers running at once, and reading a subscriber's numbers to the end."""

import threading


def seq(frame):
    return int(frame.headers["x-seq"])


def subscribe_with_receipt(client, destination, sub_id, extra=None):
    """SUBSCRIBE with a receipt; returns (the frames before the RECEIPT, the RECEIPT)."""
    headers = [("destination", destination), ("id", sub_id), ("receipt", f"r-{sub_id}")]
    headers += list((extra or {}).items())
    client.send_frame("SUBSCRIBE", headers)
    receipt = client.wait_receipt(f"r-{sub_id}")
    replayed = list(client.pending)
    client.pending.clear()
    return replayed, receipt


def publish_concurrently(pubs, destination, count, receipts=False):
    """Each publisher n sends `count` bodies "n-i" at the same time as the others (each with a
    receipt it waits for, or one sync at the end); returns the bodies that were receipted."""
    errors, done = [], set()
    lock = threading.Lock()

    def publish(n, pub):
        try:
            for i in range(count):
                body = f"{n}-{i}".encode()
                if receipts:
                    pub.send(destination, body, receipt=f"p{n}-{i}")
                    with lock:
                        done.add(body)
                else:
                    pub.send(destination, body)
            if not receipts:
                pub.sync()
        except Exception as e:  # noqa: BLE001 - raised below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=publish, args=(n, p)) for n, p in enumerate(pubs)]
    for t in threads:
        t.start()
    return threads, errors, done


def join_all(threads, errors):
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def numbers_until(client, last):
    """The x-seq of every frame `client` receives until `last`."""
    numbers = []
    while not numbers or numbers[-1] < last:
        numbers.append(seq(client.read_frame(timeout=10)))
    return numbers
