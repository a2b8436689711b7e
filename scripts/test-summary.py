#!/usr/bin/env python3
"""Sums meson's test logs: test-summary.py [--failed-step NAME]... [TESTLOG.json...]

Prints the failed tests (and failed build steps, which count as failures), then
one line "tests: N passed, N failed, N skipped". Exits 1 when anything failed.
A missing log counts as one failure: its `meson test` did not run.

In CI (CI=true in the environment) the suites that skip themselves where a
tool or data is missing (REQUIRED_IN_CI) must run: a skipped test of theirs,
or such a suite absent from every log (not built), is a failure, so that a
missing dependency cannot turn a red run green.
"""
import argparse
import json
import os
import sys

PASSED = {'OK', 'EXPECTEDFAIL'}
SKIPPED = {'SKIP'}
REQUIRED_IN_CI = ['plugin', 'ui', 'fuzz', 'training', 'quality']


def suites(result):
    """meson names a test 'project:suite[+suite...] / name'."""
    return result['name'].split(' / ')[0].split(':', 1)[-1].split('+')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--failed-step', action='append', default=[])
    ap.add_argument('logs', nargs='*')
    args = ap.parse_args()
    ci = os.environ.get('CI') == 'true'

    passed = skipped = 0
    failures = ['build step: ' + s for s in args.failed_step]
    seen = set()
    for log in args.logs:
        try:
            with open(log, encoding='utf-8') as f:
                results = [json.loads(line) for line in f if line.strip()]
        except OSError:
            failures.append('no test log: ' + log)
            continue
        for r in results:
            required = ci and set(suites(r)) & set(REQUIRED_IN_CI)
            seen.update(suites(r))
            if r['result'] in PASSED:
                passed += 1
            elif r['result'] in SKIPPED and not required:
                skipped += 1
            else:
                why = 'skipped, but CI must run it' if r['result'] in SKIPPED else r['result']
                failures.append('%s: %s (%s)' % (log.split('/')[0], r['name'], why))
    if ci and args.logs:
        failures += ['suite %s: no test of it ran (not built: a dependency missing?)' % s
                     for s in REQUIRED_IN_CI if s not in seen]
    for f in failures:
        print('FAILED', f)
    print('tests: %d passed, %d failed, %d skipped' % (passed, len(failures), skipped))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
