#!/usr/bin/env python3
"""Scores harmonization methods on a dev benchmark built by make_bench.py; prints a markdown table.

    python3 weights/eval/evaluate.py --bench DIR [--methods dc,reinhard,model] [--weights FILE]
        [--cli PATH] [--size N] [--outputs DIR] [--json FILE]

Methods:
  dc        the composite itself (direct composite)
  reinhard  mask-aware Reinhard colour transfer: the foreground's Lab mean/std (mask >= 0.5) matched to the
            reference region's (the background: mask < 0.5), blended back by the soft mask
  model     the network through the C engine's command-line tool, the path users run:
            `harmonize --composite C --mask M -o OUT --weights FILE [--size N]`; the tool is --cli, else
            $HARMONIZE_CLI, else build/engine/harmonize in the source tree
Metrics (metrics.py): MSE, PSNR, fMSE, SSIM per case, averaged per family and over all cases; with dc
among the methods also "improved": the share of cases whose fMSE is below the composite's own.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import colour  # noqa: E402
import metrics  # noqa: E402

METRICS = [('mse', 'MSE ↓', '{:.1f}'), ('psnr', 'PSNR ↑', '{:.2f}'), ('fmse', 'fMSE ↓', '{:.1f}'),
           ('ssim', 'SSIM ↑', '{:.4f}')]


def read_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert('RGB'))


def reinhard(comp, mask):
    rgb = comp / 255.0
    fg = (mask >= 0.5).astype(np.float64)
    if fg.sum() == 0 or fg.sum() == fg.size:
        return comp
    mean, std = colour.lab_stats(colour.srgb_to_lab(rgb), 1 - fg)
    out = colour.match_lab(rgb, fg, mean, std)
    blended = mask[..., None] * out + (1 - mask[..., None]) * rgb
    return np.clip(np.round(blended * 255), 0, 255).astype(np.uint8)


class EngineCLI:
    def __init__(self, cli, weights, size, workdir):
        self.cmd = [cli, '--weights', weights] + (['--size', str(size)] if size else [])
        self.workdir = workdir

    def run(self, composite, mask, name):
        out = os.path.join(self.workdir, name + '-model.png')
        r = subprocess.run(self.cmd + ['--composite', composite, '--mask', mask, '-o', out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f'{" ".join(self.cmd)} failed on {composite}: {r.stderr.strip()}')
        return read_rgb(out)

    def __call__(self, case_prefix):
        return self.run(case_prefix + '-composite.png', case_prefix + '-mask.png', os.path.basename(case_prefix))


def default_cli():
    return os.environ.get('HARMONIZE_CLI') or os.path.join(ROOT, 'build', 'engine', 'harmonize')


def score(pred, gt, mask):
    return {'mse': metrics.mse(pred, gt), 'psnr': metrics.psnr(pred, gt),
            'fmse': metrics.fmse(pred, gt, mask), 'ssim': metrics.ssim(pred, gt)}


def evaluate(bench, methods, engine=None, outputs=None):
    """Per-case scores: a list of dicts (case, family, method, and the metrics)."""
    with open(os.path.join(bench, 'cases.tsv'), newline='', encoding='utf-8') as f:
        cases = list(csv.DictReader(f, delimiter='\t'))
    results = []
    for case in cases:
        prefix = os.path.join(bench, case['case'])
        comp, gt = read_rgb(prefix + '-composite.png'), read_rgb(prefix + '-gt.png')
        with Image.open(prefix + '-mask.png') as im:
            mask = np.asarray(im.convert('L'), dtype=np.float64) / 255
        for method in methods:
            pred = {'dc': lambda: comp, 'reinhard': lambda: reinhard(comp, mask),
                    'model': lambda: engine(prefix)}[method]()
            if outputs and method != 'dc':
                Image.fromarray(pred).save(os.path.join(outputs, f'{case["case"]}-{method}.png'))
            results.append({'case': case['case'], 'family': case['family'], 'method': method,
                            **score(pred, gt, mask)})
    return results


def summarize(results):
    """{(family or 'overall', method): {metric: mean, 'improved': share or None, 'n': cases}} in table order."""
    families = list(dict.fromkeys(r['family'] for r in results)) + ['overall']
    methods = list(dict.fromkeys(r['method'] for r in results))
    dc = {r['case']: r['fmse'] for r in results if r['method'] == 'dc'}
    table = {}
    for fam in families:
        for m in methods:
            rows = [r for r in results if r['method'] == m and fam in ('overall', r['family'])]
            table[(fam, m)] = {k: float(np.mean([r[k] for r in rows])) for k, _, _ in METRICS}
            table[(fam, m)]['improved'] = (float(np.mean([r['fmse'] < dc[r['case']] for r in rows]))
                                           if dc and m != 'dc' else None)
            table[(fam, m)]['n'] = len(rows)
    return table


def markdown(table):
    lines = ['| family | cases | method | ' + ' | '.join(h for _, h, _ in METRICS) + ' | improved ↑ |',
             '|---|---:|---|' + '---:|' * (len(METRICS) + 1)]
    for (fam, m), v in table.items():
        cells = [fmt.format(v[k]) if math.isfinite(v[k]) else 'inf' for k, _, fmt in METRICS]
        cells.append('' if v['improved'] is None else f'{100 * v["improved"]:.0f}%')
        name = f'**{fam}**' if fam == 'overall' else fam
        lines.append(f'| {name} | {v["n"]} | {m} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--bench', required=True, help='folder written by make_bench.py')
    p.add_argument('--methods', default=None, help='comma-separated: dc, reinhard, model '
                   '(default: dc,reinhard, plus model when --weights is given)')
    p.add_argument('--weights', help='engine weights file for the model')
    p.add_argument('--cli', default=None, help='the harmonize tool (default: $HARMONIZE_CLI or build/engine/harmonize)')
    p.add_argument('--size', type=int, default=0, help="the engine's working size (default: its own)")
    p.add_argument('--outputs', help='also save every non-DC result PNG here')
    p.add_argument('--json', help='write per-case scores and the summary here')
    args = p.parse_args()
    methods = (args.methods.split(',') if args.methods else
               ['dc', 'reinhard'] + (['model'] if args.weights else []))
    unknown = set(methods) - {'dc', 'reinhard', 'model'}
    if unknown:
        p.error(f'unknown method(s): {", ".join(sorted(unknown))}')
    if 'model' in methods and not args.weights:
        p.error('the model method needs --weights')
    if args.outputs:
        os.makedirs(args.outputs, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = None
        if 'model' in methods:
            cli = args.cli or default_cli()
            if not os.access(cli, os.X_OK):
                raise SystemExit(f'{cli}: no harmonize tool there (build it, or give --cli / $HARMONIZE_CLI)')
            engine = EngineCLI(cli, args.weights, args.size, args.outputs or tmp)
        results = evaluate(args.bench, methods, engine, args.outputs)
    table = summarize(results)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({'cases': results,
                       'summary': [{'family': fam, 'method': m, **v} for (fam, m), v in table.items()]},
                      f, indent=1)
    print(markdown(table))


if __name__ == '__main__':
    main()
