#!/usr/bin/python3
"""python_csv_baseline.py FILE

The yardstick for `avara-onboard validate`: the simplest thing an administrator would write instead,
a bare csv.reader loop that only counts records (header included). Prints
  records=N seconds=S rate=R/s
on stdout; validate_bench.sh takes CPU time and peak RSS from /usr/bin/time around it.
"""
import csv
import sys
import time


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python_csv_baseline.py FILE", file=sys.stderr)
        return 2
    start = time.perf_counter()
    records = 0
    # newline="" is what the csv module asks for: quoted fields may hold line breaks.
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            records += 1
    seconds = time.perf_counter() - start
    print(f"records={records} seconds={seconds:.3f} rate={records / seconds if seconds else 0:.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
