#!/usr/bin/env python3
"""Sums meson's test logs: test-summary.py [--failed-step NAME]... [TESTLOG.json...]

Prints the failed tests (and failed build steps, which count as failures), then
one line "tests: N passed, N failed, N skipped". Exits 1 when anything failed.
A missing log counts as one failure: its `meson test` did not run.
"""
import argparse
import json
import sys

PASSED = {'OK', 'EXPECTEDFAIL'}
SKIPPED = {'SKIP'}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--failed-step', action='append', default=[])
    ap.add_argument('logs', nargs='*')
    args = ap.parse_args()

    passed = skipped = 0
    failures = ['build step: ' + s for s in args.failed_step]
    for log in args.logs:
        try:
            with open(log, encoding='utf-8') as f:
                results = [json.loads(line) for line in f if line.strip()]
        except OSError:
            failures.append('no test log: ' + log)
            continue
        for r in results:
            if r['result'] in PASSED:
                passed += 1
            elif r['result'] in SKIPPED:
                skipped += 1
            else:
                failures.append('%s: %s (%s)' % (log.split('/')[0], r['name'], r['result']))
    for f in failures:
        print('FAILED', f)
    print('tests: %d passed, %d failed, %d skipped' % (passed, len(failures), skipped))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
