#!/usr/bin/env python3
"""scripts/test-summary.py on made-up meson test logs: skips pass outside CI;
in CI (CI=true) a skipped or absent suite that must run is a failure."""
import json
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.environ['HARMONIZE_SOURCE_ROOT'], 'scripts', 'test-summary.py')
REQUIRED = ['plugin', 'ui', 'fuzz', 'training', 'quality']
failures = []


def check(cond, what):
    print(('ok     ' if cond else 'FAILED ') + what)
    if not cond:
        failures.append(what)


def log(d, name, results):
    path = os.path.join(d, name)
    with open(path, 'w') as f:
        for test, result in results:
            f.write(json.dumps({'name': 'gimp-harmonize:' + test, 'result': result}) + '\n')
    return path


def summary(logs, ci):
    env = {k: v for k, v in os.environ.items() if k != 'CI'}
    if ci:
        env['CI'] = 'true'
    p = subprocess.run([sys.executable, SCRIPT] + logs, capture_output=True, text=True, env=env)
    return p.returncode, p.stdout


def main():
    d = tempfile.mkdtemp(prefix='test-summary-')
    every = [(s + ' / a-' + s, 'OK') for s in REQUIRED]
    skipped_plugin = log(d, 'a.json', [('engine / ops', 'OK'), ('plugin / plugin', 'SKIP')] + every[1:])
    rc, out = summary([skipped_plugin], ci=False)
    check(rc == 0 and 'tests: 5 passed, 0 failed, 1 skipped' in out, f'outside CI a skip is a skip ({out!r})')
    rc, out = summary([skipped_plugin], ci=True)
    check(rc == 1 and 'plugin / plugin (skipped, but CI must run it)' in out and '1 failed, 0 skipped' in out,
          f'in CI a skipped plugin test fails ({out!r})')

    no_fuzz = log(d, 'b.json', [(s + ' / t', 'OK') for s in REQUIRED if s != 'fuzz'])
    rc, out = summary([no_fuzz], ci=True)
    check(rc == 1 and 'suite fuzz: no test of it ran' in out, f'in CI an absent fuzz suite fails ({out!r})')
    rc, out = summary([no_fuzz], ci=False)
    check(rc == 0, f'outside CI an absent suite is no failure ({out!r})')

    fine = log(d, 'c.json', every + [('engine / blis', 'SKIP'), ('ui+plugin / both', 'OK')])
    asan = log(d, 'd.json', [('cli / cli', 'OK')])
    rc, out = summary([fine, asan], ci=True)
    check(rc == 0 and 'tests: 7 passed, 0 failed, 1 skipped' in out,
          f'in CI other suites may skip; suites count over all logs ({out!r})')
    rc, out = summary([fine, os.path.join(d, 'missing.json')], ci=False)
    check(rc == 1 and 'no test log' in out, f'a missing log fails ({out!r})')
    rc, out = summary([log(d, 'e.json', [('engine / ops', 'FAIL')])], ci=False)
    check(rc == 1 and 'engine / ops (FAIL)' in out, f'a failed test fails ({out!r})')

    if failures:
        sys.exit(1)


if __name__ == '__main__':
    main()
