#!/usr/bin/env python3
"""The engine's colour-mapping path in Python, to score heads the engine cannot run yet on the dev benchmark.

    python3 weights/eval/pyengine.py --bench DIR --cache DIR [--cli PATH] [--size 64]
        (--weights FILE.hzw | --mapping model.pt) [--fill-content] [--json FILE] [--outputs DIR]

Per case, the network's thumbnails come from the C tool itself, once (cached in --cache): `harmonize
--network-input --network-reference` dumps the content (foreground region with its margin) and the
reference (background box, foreground pulled-pushed away) at the working size; the soft mask at that size,
which the fit weighs by, is the content dump of a second run whose composite is the mask image itself (the
same region, resampled the same way). Then, in Python:
  --weights  SSH's network (an engine weights file) on the thumbnails, the 17-term mapping fitted between
             its input and output over the mask (weighted least squares, ridge toward the identity) as
             hz_fit_scene does: this checks the Python path against evaluate.py's C-tool figures;
  --mapping  a mapping head's state_dict (train.py --head mapping): the coefficients it predicts.
The mapping is applied to the full-resolution composite as the CLI does (clamp, linearise, 17 terms,
encode, clamp; blended by the soft mask; 8-bit rounding) and scored by evaluate.py's metrics and summary.
--fill-content (either kind) first pulls-pushes away the content thumbnail's pixels outside the mask, as the
engine does to the foreground's place in the reference: what an engine that filled its content would do.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, WEIGHTS)
sys.path.insert(0, os.path.join(WEIGHTS, 'train'))
import colormap  # noqa: E402
from augment import fill_holes  # noqa: E402
import evaluate  # noqa: E402
import hzw  # noqa: E402
from ssh_model import MappingHead, UNetTileSENorm  # noqa: E402

DEFAULT_WEIGHTS = os.path.join(WEIGHTS, 'ssh-harmonize.hzw')


def read_pfm(path):
    """A PFM as the CLI writes it -> [3, H, W] float32."""
    with open(path, 'rb') as f:
        if f.readline().strip() != b'PF':
            raise ValueError(f'{path}: not a colour PFM')
        w, h = map(int, f.readline().split())
        scale = float(f.readline())
        a = np.frombuffer(f.read(), '<f4' if scale < 0 else '>f4')
    return np.ascontiguousarray(a.reshape(h, w, 3)[::-1].transpose(2, 0, 1))


class Thumbnails:
    """The engine's thumbnails of each case, R'G'B' [0, 1]: content [3, h, w], reference [3, h', w'], mask
    [h, w]; and net, the C network's output [3, h, w] in [-1, 1] for the weights the dumps were made with
    (the shipped ones)."""

    def __init__(self, cli, size, cache, weights=DEFAULT_WEIGHTS):
        self.cli, self.size, self.cache, self.weights = cli, size, cache, weights
        os.makedirs(cache, exist_ok=True)

    def _run(self, tmp, composite, mask, **dumps):
        cmd = [self.cli, '--weights', self.weights, '--size', str(self.size), '--composite', composite,
               '--mask', mask, '-o', os.path.join(tmp, 'out.png')]
        for k, v in dumps.items():
            cmd += [f'--network-{k}', os.path.join(tmp, v)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(f'{" ".join(cmd)}: {r.stderr.strip()}')
        return {k: read_pfm(os.path.join(tmp, v)) for k, v in dumps.items()}

    def __call__(self, prefix):
        path = os.path.join(self.cache, f'{os.path.basename(prefix)}-{self.size}.npz')
        if not os.path.exists(path):
            with tempfile.TemporaryDirectory() as tmp:
                d = self._run(tmp, prefix + '-composite.png', prefix + '-mask.png',
                              input='in.pfm', reference='ref.pfm', output='net.pfm')
                m = self._run(tmp, prefix + '-mask.png', prefix + '-mask.png', input='mask.pfm')['input']
            np.savez(path + '.tmp.npz', content=(d['input'] + 1) / 2, reference=(d['reference'] + 1) / 2,
                     mask=(m[0] + 1) / 2, net=d['output'], weights=os.path.basename(self.weights))
            os.replace(path + '.tmp.npz', path)
        with np.load(path) as z:
            return {k: torch.from_numpy(z[k]) for k in ('content', 'reference', 'mask', 'net')}


def load_unet(path):
    tensors, _ = hzw.read(path)
    state = {k: torch.from_numpy(v.astype(np.float32)) for k, v in tensors.items()}
    model = UNetTileSENorm(UNetTileSENorm.width_of(state))
    model.load_state_dict(state, strict=False)
    return model.eval()


def load_mapping(path):
    state = torch.load(path, map_location='cpu', weights_only=True)
    model = MappingHead(MappingHead.width_of(state))
    model.load_state_dict(state)
    return model.eval()


def apply_full(coef, comp, mask):
    """The CLI's output for a composite: the mapping on every pixel, blended back by the soft mask, 8 bits.
    comp [H, W, 3] uint8, mask [H, W] in [0, 1]."""
    rgb = torch.from_numpy(comp.astype(np.float64) / 255).permute(2, 0, 1)[None]
    out = colormap.apply(coef.double(), rgb)[0].permute(1, 2, 0).numpy()
    m = mask[..., None]
    out = m * out + (1 - m) * rgb[0].permute(1, 2, 0).numpy()
    return np.floor(np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)


class PythonEngine:
    """evaluate.py's 'model' method, the mapping's coefficients from SSH's network and the fit (unet) or
    from a mapping head (coefficients)."""

    def __init__(self, thumbs, unet=None, head=None, check_net=False, fill_content=False):
        self.thumbs, self.unet, self.head, self.check_net = thumbs, unet, head, check_net
        self.fill_content = fill_content
        self.net_error = 0.0

    @torch.no_grad()
    def coefficients(self, prefix):
        t = self.thumbs(prefix)
        x, r = t['content'][None] * 2 - 1, t['reference'][None] * 2 - 1
        if self.fill_content:
            x = fill_holes(x, t['mask'][None, None])
        if self.head is not None:
            return self.head(x, r, styles=False)
        out = self.unet(x, r, styles=False)[0]
        if self.check_net:
            self.net_error = max(self.net_error, (out - t['net']).abs().max().item())
        return colormap.fit((x[0] + 1) / 2, (out + 1) / 2, t['mask'])

    def __call__(self, prefix):
        comp = evaluate.read_rgb(prefix + '-composite.png')
        with Image.open(prefix + '-mask.png') as im:
            mask = np.asarray(im.convert('L'), dtype=np.float64) / 255
        return apply_full(self.coefficients(prefix), comp, mask)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--bench', required=True)
    p.add_argument('--cache', required=True, help='folder for the thumbnails (one .npz per case and size)')
    p.add_argument('--cli', default=None, help='the harmonize tool (default: $HARMONIZE_CLI or build/engine/harmonize)')
    p.add_argument('--size', type=int, default=64, help='working size of the thumbnails')
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument('--weights', help='engine weights file: SSH network + fit, as the engine')
    g.add_argument('--mapping', help='state_dict of a mapping head (train.py --head mapping)')
    p.add_argument('--fill-content', action='store_true',
                   help="the head's content input with everything outside the mask pulled-pushed away (the "
                   "foreground's colours only), as the reference's foreground is; not what the engine does")
    p.add_argument('--outputs', help='also save every result PNG here')
    p.add_argument('--json', help='write per-case scores and the summary here')
    p.add_argument('--threads', type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    thumbs = Thumbnails(args.cli or evaluate.default_cli(), args.size, args.cache)
    shipped = bool(args.weights) and os.path.samefile(args.weights, DEFAULT_WEIGHTS)
    engine = (PythonEngine(thumbs, unet=load_unet(args.weights), check_net=shipped and not args.fill_content,
                           fill_content=args.fill_content) if args.weights
              else PythonEngine(thumbs, head=load_mapping(args.mapping), fill_content=args.fill_content))
    if args.outputs:
        os.makedirs(args.outputs, exist_ok=True)
    results = evaluate.evaluate(args.bench, ['dc', 'model'], engine, args.outputs)
    table = evaluate.summarize(results)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({'cases': results,
                       'summary': [{'family': fam, 'method': m, **v} for (fam, m), v in table.items()]},
                      f, indent=1)
    print(evaluate.markdown(table))
    if engine.check_net:
        print(f'largest difference of the Python network from the C one on the thumbnails: {engine.net_error:.2g}')


if __name__ == '__main__':
    main()
