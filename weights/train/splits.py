"""Which shared/data files train the model and which are kept for the dev benchmark.

Both rules hash the file name, so they are fixed, need no list and stay the same when files are added:
- photos: held out when int(sha1(name)) % 8 == 0 (30 of the 220; 28 of them in colour). The recipe never
  trains on them; the dev benchmark and the recipe's validation loss use only them.
- LUTs: held back when int(sha1(name)) % 5 == 0 (168 of the 819), for the benchmark's unseen looks. (The
  bank's own held-out quarter of the G'MIC pack is not in shared/data at all.)
Object cut-outs are not split: training may paste their content, the benchmark uses only their alpha as mask
shapes.
"""
import csv
import hashlib
import os


def _hash_mod(name, m):
    return int(hashlib.sha1(name.encode('utf-8')).hexdigest(), 16) % m


def is_dev_photo(name):
    return _hash_mod(name, 8) == 0


def is_dev_lut(name):
    return _hash_mod(name, 5) == 0


def _index(data, folder):
    path = os.path.join(data, folder, 'INDEX.tsv')
    if not os.path.isfile(path):
        raise SystemExit(f'{path}: missing (is --data the shared/data folder?)')
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f, delimiter='\t'))


def photos(data, split, colour_only=False):
    """Paths of the 'train' or 'dev' photos, sorted by name; colour_only drops the monochrome ones."""
    want_dev = split == 'dev'
    rows = _index(data, 'photos')
    return [os.path.join(data, 'photos', r['file']) for r in sorted(rows, key=lambda r: r['file'])
            if is_dev_photo(r['file']) == want_dev and not (colour_only and r['mono'] == '1')]


def luts(data, split):
    """Paths of the 'train' or 'dev' (held-back) Hald CLUTs, sorted by name."""
    want_dev = split == 'dev'
    rows = _index(data, 'luts')
    return [os.path.join(data, 'luts', r['file']) for r in sorted(rows, key=lambda r: r['file'])
            if is_dev_lut(r['file']) == want_dev]


def objects(data):
    rows = _index(data, 'objects')
    return [os.path.join(data, 'objects', r['file']) for r in sorted(rows, key=lambda r: r['file'])]
