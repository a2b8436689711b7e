#!/usr/bin/env python3
"""Builds the dev benchmark: synthetic composites at 256 x 256 from the held-out photos only.

    python3 weights/eval/make_bench.py --data DATA --out DIR [--per-family 40] [--seed 0]

Each case: a crop of a held-out colour photo (weights/train/splits.py: sha1(name) % 8 == 0, monochrome ones
left out), resized to 256 x 256 (Lanczos): the ground truth. A mask: the alpha of a random cut-out (objects/),
scaled so that its foreground covers 5-40% of the image and placed at random, wholly inside. The composite:
the ground truth with the region inside the mask recoloured by one perturbation (blended by the soft mask).
Perturbation families:
  lut                held-back bank LUTs (sha1(name) % 5 == 0, never seen in training), full strength
  exposure-wb-gamma  exposure +-1.2 EV, white balance (temperature and tint gains), gamma 0.7..1.4
  colour-transfer    Lab mean/std of the foreground matched to another held-out photo's (iHarmony4-style)
  sat-contrast-hue   saturation 0.45..1.8, contrast 0.65..1.4, hue rotation up to 45 degrees
A draw whose composite barely differs (fMSE < 100) is drawn again, as iHarmony4 drops near-invisible changes.
Writes FAMILY-NNN-{composite,mask,gt}.png and cases.tsv. The same arguments give the same files.
"""
import argparse
import math
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'train'))
import colour  # noqa: E402
import luts  # noqa: E402
import metrics  # noqa: E402
import splits  # noqa: E402

FAMILIES = ['lut', 'exposure-wb-gamma', 'colour-transfer', 'sat-contrast-hue']
SIZE = 256
MIN_FMSE = 100.0


def random_crop(img, rng):
    """A random square crop (60-100% of the short side) resized to SIZE, as floats 0..1."""
    w, h = img.size
    side = int(min(w, h) * rng.uniform(0.6, 1.0))
    x, y = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
    crop = img.crop((x, y, x + side, y + side)).resize((SIZE, SIZE), Image.LANCZOS)
    return np.asarray(crop, dtype=np.float64) / 255


def random_mask(alpha, rng):
    """The cut-out's alpha (a PIL 'L' image) scaled to cover 5-40% of the image, at a random place."""
    fg = float((np.asarray(alpha) > 127).sum())
    w, h = alpha.size
    s = math.sqrt(rng.uniform(0.05, 0.40) * SIZE * SIZE / fg)
    s = min(s, (SIZE - 2) / w, (SIZE - 2) / h)
    sw, sh = max(1, round(w * s)), max(1, round(h * s))
    x, y = int(rng.integers(0, SIZE - sw + 1)), int(rng.integers(0, SIZE - sh + 1))
    mask = Image.new('L', (SIZE, SIZE), 0)
    mask.paste(alpha.resize((sw, sh), Image.LANCZOS), (x, y))
    return np.asarray(mask, dtype=np.float64) / 255


def on_pixels(img, fn):
    """Applies fn, colour operations of luts.py on [B, 3, N] colours, to an image [H, W, 3]."""
    x = torch.from_numpy(img.reshape(1, -1, 3).transpose(0, 2, 1).copy()).float()
    return fn(x).clamp(0, 1)[0].T.reshape(img.shape).double().numpy()


def per_channel(*values):
    return torch.tensor(values, dtype=torch.float32).view(1, -1, 1)


class Perturbations:
    def __init__(self, data, photos):
        self.dev_luts = splits.luts(data, 'dev')
        self.photos = photos

    def lut(self, img, mask, rng, photo):
        path = self.dev_luts[rng.integers(len(self.dev_luts))]
        out = luts.apply_lut(torch.from_numpy(img.transpose(2, 0, 1)[None].copy()).float(),
                             luts.load_hald(path)[None])
        return out[0].permute(1, 2, 0).double().numpy(), os.path.basename(path)

    def exposure_wb_gamma(self, img, mask, rng, photo):
        ev, temp, tint, g = rng.uniform(-1.2, 1.2), rng.uniform(-0.25, 0.25), rng.uniform(-0.1, 0.1), \
            math.exp(rng.uniform(-0.35, 0.35))
        gains = [2 ** ev * math.exp(temp), 2 ** ev * math.exp(tint), 2 ** ev * math.exp(-temp)]
        out = on_pixels(img, lambda x: luts.gamma(luts.exposure_wb(x, per_channel(*gains)), per_channel(g)))
        return out, f'ev={ev:.2f} temp={temp:.2f} tint={tint:.2f} gamma={g:.2f}'

    def colour_transfer(self, img, mask, rng, photo):
        others = [p for p in self.photos if p != photo]
        other = others[rng.integers(len(others))]
        with Image.open(other) as o:
            target = colour.srgb_to_lab(random_crop(o.convert('RGB'), rng))
        mean, std = colour.lab_stats(target, np.ones(target.shape[:2]))
        return colour.match_lab(img, mask, mean, std), os.path.basename(other)

    def sat_contrast_hue(self, img, mask, rng, photo):
        s, c, h = math.exp(rng.uniform(-0.8, 0.6)), math.exp(rng.uniform(-0.43, 0.34)), rng.uniform(-45, 45)
        out = on_pixels(img, lambda x: luts.hue_rotate(luts.contrast(luts.saturation(x, per_channel(s)),
                                                                     per_channel(c)),
                                                       torch.tensor([math.radians(h)])))
        return out, f'saturation={s:.2f} contrast={c:.2f} hue={h:.1f}'


def to8(img):
    return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)


def build(data, out, per_family, seed):
    photos = splits.photos(data, 'dev', colour_only=True)
    objects = splits.objects(data)
    perturb = Perturbations(data, photos)
    os.makedirs(out, exist_ok=True)
    rows = []
    for fi, family in enumerate(FAMILIES):
        rng = np.random.default_rng([seed, fi])
        order = rng.permutation(len(photos))
        op = getattr(perturb, family.replace('-', '_'))
        for k in range(per_family):
            photo = photos[order[k % len(photos)]]
            with Image.open(photo) as im:
                gt = random_crop(im.convert('RGB'), rng)
            obj = objects[rng.integers(len(objects))]
            with Image.open(obj) as im:
                mask = random_mask(im.convert('RGBA').getchannel('A'), rng)
            for _ in range(20):
                changed, params = op(gt, mask, rng, photo)
                comp = to8(mask[..., None] * changed + (1 - mask[..., None]) * gt)
                dc = metrics.fmse(comp, to8(gt), mask)
                if dc >= MIN_FMSE:
                    break
            name = f'{family}-{k:03d}'
            Image.fromarray(comp).save(os.path.join(out, name + '-composite.png'))
            Image.fromarray(to8(mask)).save(os.path.join(out, name + '-mask.png'))
            Image.fromarray(to8(gt)).save(os.path.join(out, name + '-gt.png'))
            rows.append([name, family, os.path.basename(photo), os.path.basename(obj),
                         f'{mask.mean():.3f}', params, f'{dc:.1f}'])
    with open(os.path.join(out, 'cases.tsv'), 'w', encoding='utf-8') as f:
        f.write('case\tfamily\tphoto\tobject\tfg_fraction\tperturbation\tdc_fmse\n')
        f.writelines('\t'.join(r) + '\n' for r in rows)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', required=True, help='the shared/data folder')
    p.add_argument('--out', required=True, help='folder to write the cases into')
    p.add_argument('--per-family', type=int, default=40)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    rows = build(args.data, args.out, args.per_family, args.seed)
    print(f'{args.out}: {len(rows)} cases ({args.per_family} per family: {", ".join(FAMILIES)})')


if __name__ == '__main__':
    main()
