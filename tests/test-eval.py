#!/usr/bin/env python3
"""The dev benchmark (weights/eval/) on a small build, 2 cases per family from ../shared/data:
- make_bench.py is reproducible (same seed, same bytes; another seed, other cases) and uses held-out photos
  and held-back LUTs only, with masks of the promised size;
- the metrics: zero error and SSIM 1 for the ground truth itself, PSNR = 10 log10(255^2 / MSE), fMSE = the
  summed squared error over 3 x the mask's area;
- evaluate.py scores DC and Reinhard (and the model through the engine's CLI when weights are given:
  $HARMONIZE_EVAL_WEIGHTS, else weights/ssh-harmonize.hzw if it exists): every composite differs from its
  ground truth (DC fMSE > 0), Reinhard leaves the background alone, the table has every family;
- contact_sheet.py draws one row per case.
Skips (77) without ../shared/data or without numpy, PIL and torch.
"""
import filecmp
import json
import math
import os
import subprocess
import sys
import tempfile

from weights_material import DATA, ROOT, check, finish  # skips (77) without the material
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
import contact_sheet  # noqa: E402
import make_bench  # noqa: E402
import metrics  # noqa: E402
import splits  # noqa: E402

EVALUATE = os.path.join(ROOT, 'weights', 'eval', 'evaluate.py')
CONTACT_SHEET = os.path.join(ROOT, 'weights', 'eval', 'contact_sheet.py')


def load(bench, case, kind):
    with Image.open(os.path.join(bench, f'{case}-{kind}.png')) as im:
        return np.asarray(im.convert('L' if kind == 'mask' else 'RGB'))


def bench_checks(tmp):
    a, b, c = (os.path.join(tmp, n) for n in 'abc')
    rows = make_bench.build(DATA, a, 2, 0)
    make_bench.build(DATA, b, 2, 0)
    make_bench.build(DATA, c, 2, 1)
    files = sorted(os.listdir(a))
    check(len(rows) == 8 and len(files) == 8 * 3 + 1, f'{len(rows)} cases, {len(files)} files')
    _, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    check(not mismatch and not errors, 'same seed, same files')
    check(not filecmp.cmp(os.path.join(a, 'cases.tsv'), os.path.join(c, 'cases.tsv'), shallow=False),
          'another seed, other cases')
    check(all(splits.is_dev_photo(r[2]) for r in rows), 'only held-out photos')
    check(all(splits.is_dev_lut(r[5]) for r in rows if r[1] == 'lut'), 'only held-back LUTs')
    fractions = [float(r[4]) for r in rows]
    check(all(0.03 <= f <= 0.45 for f in fractions), f'mask coverage {min(fractions):.2f}..{max(fractions):.2f}')
    return a, rows


def metric_checks(bench, case):
    gt, comp = load(bench, case, 'gt'), load(bench, case, 'composite')
    mask = load(bench, case, 'mask') / 255.0
    check(metrics.mse(gt, gt) == 0 and metrics.fmse(gt, gt, mask) == 0 and math.isinf(metrics.psnr(gt, gt)),
          'ground truth against itself: MSE = fMSE = 0, PSNR infinite')
    check(abs(metrics.ssim(gt, gt) - 1) < 1e-12 and metrics.ssim(comp, gt) < 1, 'SSIM 1 only for the same image')
    e = metrics.mse(comp, gt)
    check(abs(metrics.psnr(comp, gt) - 10 * math.log10(255 ** 2 / e)) < 1e-9, 'PSNR = 10 log10(255^2 / MSE)')
    sq = ((comp.astype(float) - gt) ** 2).sum()
    check(abs(metrics.fmse(comp, gt, mask) - sq / (3 * mask.sum())) < 1e-6 and metrics.fmse(comp, gt, mask) > e,
          'fMSE = summed squared error / (3 x mask area), above MSE')


def evaluate_checks(bench, tmp):
    outputs, report = os.path.join(tmp, 'out'), os.path.join(tmp, 'eval.json')
    weights = os.environ.get('HARMONIZE_EVAL_WEIGHTS') or os.path.join(ROOT, 'weights', 'ssh-harmonize.hzw')
    cmd = [sys.executable, EVALUATE, '--bench', bench, '--outputs', outputs, '--json', report]
    if os.path.exists(weights):
        cmd += ['--weights', weights]
        print(f'model: {weights} through {os.environ.get("HARMONIZE_CLI", "build/engine/harmonize")}')
    r = subprocess.run(cmd, capture_output=True, text=True)
    print(r.stdout + r.stderr)
    check(r.returncode == 0, 'evaluate.py exits 0')
    if r.returncode:
        return
    with open(report, encoding='utf-8') as f:
        res = json.load(f)
    dc = [c for c in res['cases'] if c['method'] == 'dc']
    check(len(dc) == 8 and all(c['fmse'] > 0 for c in dc), 'DC: every composite differs from its ground truth')
    check(all(abs(c['psnr'] - 10 * math.log10(255 ** 2 / c['mse'])) < 1e-9 for c in res['cases']),
          'reported PSNR matches reported MSE')
    overall = [s for s in res['summary'] if s['family'] == 'overall']
    check(overall and all(s['n'] == 8 for s in overall), 'overall rows average all 8 cases')
    for family in make_bench.FAMILIES:
        check(f'| {family} |' in r.stdout, f'table has {family}')
    case = dc[0]['case']
    rein = np.asarray(Image.open(os.path.join(outputs, f'{case}-reinhard.png')).convert('RGB'))
    bg = load(bench, case, 'mask') == 0
    check(np.array_equal(rein[bg], load(bench, case, 'composite')[bg]), 'Reinhard leaves the background alone')
    for c in res['cases']:
        if c['method'] == 'model':
            check(all(math.isfinite(c[k]) for k in ('mse', 'fmse', 'ssim')), f'model scores finite on {c["case"]}')
    sheet = os.path.join(tmp, 'sheet.png')
    model = ['--weights', weights] if os.path.exists(weights) else []
    r = subprocess.run([sys.executable, CONTACT_SHEET, '--bench', bench, '--per-family', '1', '--out', sheet]
                       + model, capture_output=True, text=True)
    print(r.stdout + r.stderr)
    with Image.open(sheet) as im:
        size = im.size
    tile = contact_sheet.TILE
    check(r.returncode == 0 and size == (tile * (4 + bool(model)), 14 + 4 * (tile + 14)),
          f'contact sheet of 4 cases, {size[0]} x {size[1]}')


def main():
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        bench, rows = bench_checks(tmp)
        metric_checks(bench, rows[0][0])
        evaluate_checks(bench, tmp)
    return finish()


if __name__ == '__main__':
    sys.exit(main())
