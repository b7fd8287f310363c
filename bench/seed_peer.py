#!/usr/bin/env python3
"""The seed's ticket-grab program, as the peer ticketsim's bench measures
itself against: one multiprocessing.Process per buyer, each searches then
buys from a JSON file {"count": N}, all started, then all joined. The
lesson's sleeps are left out (no delay), as in ticketsim's run of the same
load. A child that reads the file while another rewrites it can die on a
torn read (json.decoder.JSONDecodeError, its traceback on stderr), as the
seed's own children do; the peer then prints "crashed N" on stdout: how
many children exited non-zero. ticketsim bench keeps both streams and
counts. Usage: seed_peer.py BUYERS TICKETS DIRECTORY"""

import json
import os
import sys
from multiprocessing import Process


def search(path):
    with open(path) as f:
        return json.load(f)["count"]


def get(path):
    with open(path) as f:
        count = json.load(f)["count"]
    if count > 0:
        with open(path, "w") as f:
            json.dump({"count": count - 1}, f)
        return True
    return False


def task(path):
    search(path)
    get(path)


def main():
    buyers, tickets, directory = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    path = os.path.join(directory, "db.json")
    with open(path, "w") as f:
        json.dump({"count": tickets}, f)
    processes = [Process(target=task, args=(path,)) for _ in range(buyers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    os.remove(path)
    print(f"crashed {sum(1 for p in processes if p.exitcode != 0)}")


if __name__ == "__main__":
    main()
