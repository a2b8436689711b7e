#!/usr/bin/env python3
"""A before/after contact sheet for the model card: one row per composite, columns composite, mask,
Reinhard, model (through the engine's CLI, when --weights is given) and ground truth (where there is one).

    python3 weights/eval/contact_sheet.py --out SHEET.jpg [--composites DATA/composites]
        [--bench DIR [--per-family 2]] [--weights FILE [--cli PATH]]

Real composites (shared/data/composites) have masks thresholded at 128 (some came as JPEG, with noise).
"""
import argparse
import csv
import glob
import os
import sys
import tempfile

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from evaluate import EngineCLI, default_cli, read_rgb, reinhard  # noqa: E402

TILE = 160


def real_cases(folder, workdir):
    """(name, composite path, mask path, gt path or None) of the real composites; binary masks in workdir."""
    cases = []
    for comp in sorted(glob.glob(os.path.join(folder, '*-composite.*'))):
        stem = comp[:comp.rindex('-composite.')]
        name = os.path.basename(stem)
        with Image.open(glob.glob(stem + '-mask.*')[0]) as im:
            mask = Image.fromarray(((np.asarray(im.convert('L')) >= 128) * 255).astype(np.uint8))
        mask_path = os.path.join(workdir, name + '-mask.png')
        mask.save(mask_path)
        gt = glob.glob(stem + '-gt.*')
        cases.append((name, comp, mask_path, gt[0] if gt else None))
    return cases


def bench_cases(bench, per_family):
    with open(os.path.join(bench, 'cases.tsv'), newline='', encoding='utf-8') as f:
        rows = list(csv.DictReader(f, delimiter='\t'))
    cases, seen = [], {}
    for r in rows:
        seen[r['family']] = seen.get(r['family'], 0) + 1
        if seen[r['family']] <= per_family:
            p = os.path.join(bench, r['case'])
            cases.append((r['case'], p + '-composite.png', p + '-mask.png', p + '-gt.png'))
    return cases


def tile(img):
    """img fitted into a TILE x TILE grey square."""
    im = Image.fromarray(img)
    im.thumbnail((TILE, TILE), Image.LANCZOS)
    out = Image.new('RGB', (TILE, TILE), (96, 96, 96))
    out.paste(im, ((TILE - im.width) // 2, (TILE - im.height) // 2))
    return out


def sheet(cases, engine, workdir):
    columns = ['composite', 'mask', 'Reinhard'] + (['model'] if engine else []) + ['ground truth']
    label_h = 14
    out = Image.new('RGB', (TILE * len(columns), label_h + (TILE + label_h) * len(cases)), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    for i, c in enumerate(columns):
        draw.text((i * TILE + 4, 1), c, fill=(0, 0, 0))
    for row, (name, comp_path, mask_path, gt_path) in enumerate(cases):
        comp = read_rgb(comp_path)
        with Image.open(mask_path) as im:
            mask = np.asarray(im.convert('L'), dtype=np.float64) / 255
        tiles = [comp, np.repeat((mask[..., None] * 255).astype(np.uint8), 3, 2), reinhard(comp, mask)]
        if engine:
            tiles.append(engine.run(comp_path, mask_path, name))
        tiles.append(read_rgb(gt_path) if gt_path else None)
        y = label_h + row * (TILE + label_h)
        draw.text((4, y + 1), name, fill=(0, 0, 0))
        for i, t in enumerate(tiles):
            if t is not None:
                out.paste(tile(t), (i * TILE, y + label_h))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', required=True, help='the sheet (.jpg or .png)')
    p.add_argument('--composites', help='the shared/data/composites folder')
    p.add_argument('--bench', help='a folder written by make_bench.py')
    p.add_argument('--per-family', type=int, default=2, help='benchmark cases per family')
    p.add_argument('--weights', help='engine weights file: adds the model column')
    p.add_argument('--cli', default=None, help='the harmonize tool (default: $HARMONIZE_CLI or build/engine/harmonize)')
    args = p.parse_args()
    if not args.composites and not args.bench:
        p.error('give --composites and/or --bench')
    with tempfile.TemporaryDirectory() as tmp:
        cases = (real_cases(args.composites, tmp) if args.composites else []) + \
            (bench_cases(args.bench, args.per_family) if args.bench else [])
        engine = EngineCLI(args.cli or default_cli(), args.weights, 0, tmp) if args.weights else None
        sheet(cases, engine, tmp).save(args.out, quality=90)
    print(f'{args.out}: {len(cases)} rows')


if __name__ == '__main__':
    main()
