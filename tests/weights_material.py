"""What the training and benchmark tests share: the source tree, ../shared/data (the test skips, exit 77,
without it or without numpy, PIL and torch), weights/train and weights/eval on the import path, and check()."""
import os
import sys

ROOT = os.environ.get('HARMONIZE_SOURCE_ROOT', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
DATA = os.path.join(ROOT, '..', 'shared', 'data')
if not os.path.isdir(os.path.join(DATA, 'photos')):
    print(f'skip: no training material at {DATA}')
    sys.exit(77)
try:
    import numpy  # noqa: F401
    import PIL  # noqa: F401
    import torch  # noqa: F401
except ImportError as e:
    print(f'skip: {e}')
    sys.exit(77)
sys.path[:0] = [os.path.join(ROOT, 'weights', d) for d in ('train', 'eval', '')]

failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)


def finish():
    """Prints the verdict; the exit status for sys.exit."""
    print(f'{len(failures)} failed' if failures else 'all passed')
    return 1 if failures else 0
