#!/usr/bin/env python3
"""Smoke test of the training recipe (weights/train/) on the CPU, at 32 px with 2 triplets a step on
2 + 2 photos, 3 + 3 LUTs and 3 cut-outs of ../shared/data:
- the Hald CLUT lookup reproduces the PNG's nodes (the cube's axis order);
- the hold-out rules keep training and dev files apart;
- a triplet has the right shape and range, and its two looks differ;
- a run stopped after 2 of 4 steps and resumed reaches step 4 with exactly the losses of an uninterrupted
  run (model, optimizer, step and random state all resume), writes finite losses, the CSV, the loss-curve
  PNG, model.pt, and an engine weights file through weights/export.py, which --init loads back; a
  --ckpt-slim checkpoint has no optimizer state and resumes with a fresh one;
- the colour mapping (weights/colormap.py): the identity maps colours to themselves, the fit recovers a
  known mapping; the mapping head starts at the identity, its loss goes down on a fixed batch, and
  train.py --head mapping runs, writes model.pt and refuses --export.
Skips (77) without ../shared/data or without numpy, PIL and torch.
"""
import contextlib
import csv
import io
import os
import sys
import tempfile

from weights_material import DATA, check, finish  # skips (77) without the material
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
import colormap  # noqa: E402
import hzw  # noqa: E402
import luts  # noqa: E402
import splits  # noqa: E402
import train as train_py  # noqa: E402
from augment import TripletSampler  # noqa: E402
from pool import ImagePool  # noqa: E402
from ssh_model import MappingHead  # noqa: E402


def lut_nodes():
    path = splits.luts(DATA, 'train')[0]
    raw = np.asarray(Image.open(path).convert('RGB'), dtype=np.float32).reshape(-1, 3)
    r, g, b = np.meshgrid(np.arange(16), np.arange(16), np.arange(16), indexing='ij')
    colours = torch.tensor(np.stack([r, g, b], -1).reshape(1, 1, -1, 3) / 15.0, dtype=torch.float32)
    out = luts.apply_lut(colours.permute(0, 3, 1, 2), luts.load_hald(path)[None])[0, :, 0].T.numpy() * 255
    err = np.abs(out - raw[(r + 16 * g + 256 * b).reshape(-1)]).max()
    check(err < 1e-3, f'LUT lookup hits the Hald nodes of {os.path.basename(path)} (max error {err:.2g})')
    x = luts.identity_colours(16).expand(2, 3, -1)
    same = luts.lab_affine(x, torch.zeros(2, 3), torch.ones(2, 3))
    darker = luts.lab_affine(x, torch.tensor([[-10.0, 0, 0], [0, 0, 8.0]]), torch.ones(2, 3))
    check((same - x).abs().max() < 1e-6 and darker[0].mean() < x[0].mean() - 0.03
          and (darker[1, 2] < x[1, 2]).float().mean() > 0.5,
          'Lab look: no move is the identity, L down darkens, b up yellows (less blue)')


def hold_out():
    train, dev = splits.photos(DATA, 'train'), splits.photos(DATA, 'dev')
    check(len(train) + len(dev) == 220 and not set(train) & set(dev) and len(dev) > 20,
          f'photos split {len(train)} training / {len(dev)} held out, disjoint')
    check(all(splits.is_dev_photo(os.path.basename(p)) for p in dev), 'held-out photos follow the sha1 rule')
    tl, dl = splits.luts(DATA, 'train'), splits.luts(DATA, 'dev')
    check(not set(tl) & set(dl) and len(dl) > 100, f'LUTs split {len(tl)} training / {len(dl)} held back')


def triplet():
    gen = torch.Generator().manual_seed(3)
    pool = ImagePool(splits.photos(DATA, 'train')[:2], torch.device('cpu'))
    objects = ImagePool(splits.objects(DATA)[:2], torch.device('cpu'), rgba=True)
    bank = torch.stack([luts.load_hald(p) for p in splits.luts(DATA, 'train')[:3]])
    c_a, c_b, r_a, r_b, around = TripletSampler(pool, bank, gen, objects, p_object=1, p_hole=1)(4, 48, 64)
    check(not around.any(), 'no composite contents unless asked for')
    *_, around = TripletSampler(pool, bank, gen, objects, p_composite=1)(4, 48, 64)
    check(around.shape == (4, 1, 48, 64) and 0 <= around.min() and around.max() <= 1 and
          all(0.3 < a.mean() < 1 and a.min() < 0.5 for a in around),
          'composite contents: the target look around a cut-out')
    check(c_a.shape == (4, 3, 48, 64) and r_b.shape == c_a.shape, f'triplet shapes {tuple(c_a.shape)}')
    check(min(t.min().item() for t in (c_a, c_b, r_a, r_b)) >= -1 and
          max(t.max().item() for t in (c_a, c_b, r_a, r_b)) <= 1, 'triplet values in [-1, 1]')
    check((c_a - c_b).abs().mean().item() > 0.01, 'the two looks differ')
    check((c_a - r_a).abs().mean().item() > 0.01, 'content and reference crops differ')


def train(out, *extra):
    """Runs train.py's main in this process (one torch import for the whole test)."""
    train_py.main(['--data', DATA, '--out', out, '--device', 'cpu', '--width', '8', '--size', '32', '--batch', '2',
                   '--steps', '4', '--max-photos', '2', '--max-luts', '3', '--max-objects', '3',
                   '--log-every', '1', '--val-every', '2', '--val-batch', '2', '--threads', '1', *extra])
    with open(os.path.join(out, 'losses.csv'), newline='') as f:
        return list(csv.DictReader(f))


def training(tmp):
    split, whole = os.path.join(tmp, 'split'), os.path.join(tmp, 'whole')
    first = train(split, '--session-steps', '2')
    ck = torch.load(os.path.join(split, 'ckpt.pt'), map_location='cpu', weights_only=True)
    check(ck['step'] == 2 and [r['step'] for r in first] == ['1', '2'], 'stopped after 2 steps, checkpoint at 2')
    hzw_path = os.path.join(tmp, 'smoke.hzw')
    resumed = train(split, '--resume', '--export', hzw_path)
    ck = torch.load(os.path.join(split, 'ckpt.pt'), map_location='cpu', weights_only=True)
    check(ck['step'] == 4 and [r['step'] for r in resumed] == ['1', '2', '3', '4'],
          'resumed to step 4, the log continues')
    check(all(np.isfinite(float(r[k])) for r in resumed for k in ('loss', 'harm', 'recon', 'dis')),
          'losses are finite')
    check(resumed[-1]['val_harm'] != '' and float(resumed[-1]['val_harm']) > 0, 'held-out loss logged')
    straight = train(whole)
    check([r['loss'] for r in straight] == [r['loss'] for r in resumed],
          'resumed run = uninterrupted run, loss for loss')
    with open(os.path.join(split, 'loss_curve.png'), 'rb') as f:
        check(f.read(8) == b'\x89PNG\r\n\x1a\n', 'loss-curve PNG written')
    state = torch.load(os.path.join(split, 'model.pt'), map_location='cpu', weights_only=True)
    tensors, meta = hzw.read(hzw_path)
    check(len(tensors) > 100 and 'SSH' in meta.get('training', ''), f'exported {len(tensors)} tensors')
    check(meta.get('width') == '8' and meta.get('working_size') == '64' and meta.get('train_size') == '32'
          and meta.get('training_commit'), f'width, sizes and commit recorded ({meta})')
    name = 'conv10.weight'
    check(np.allclose(tensors[name], state[name].numpy(), atol=1e-3), f'exported {name} matches model.pt')
    slim = os.path.join(tmp, 'slim')
    train(slim, '--session-steps', '2', '--ckpt-slim')
    ck = torch.load(os.path.join(slim, 'ckpt.pt'), map_location='cpu', weights_only=True)
    check('optimizer' not in ck and ck['step'] == 2, '--ckpt-slim leaves the optimizer out')
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        resumed_slim = train(slim, '--resume')
    check([r['step'] for r in resumed_slim] == ['1', '2', '3', '4'] and 'AdamW starts afresh' in out.getvalue()
          and all(np.isfinite(float(r['loss'])) for r in resumed_slim),
          'a slim checkpoint resumes to step 4 with a fresh optimizer')
    init = os.path.join(tmp, 'init')
    train(init, '--init', hzw_path, '--steps', '1', '--lr', '0')
    state = torch.load(os.path.join(init, 'model.pt'), map_location='cpu', weights_only=True)
    check(np.array_equal(state[name].numpy(), tensors[name].astype(np.float32)), '--init loads a .hzw file')


def mapping_head(tmp):
    gen = torch.Generator().manual_seed(5)
    x = torch.rand(2, 3, 20, 24, generator=gen)
    ident = colormap.apply(colormap.identity(2), x)
    check((ident - x).abs().max() < 1e-5, 'the identity mapping maps every colour to itself')
    known = colormap.identity(1, torch.float64)
    known[0, :, 16] = torch.tensor([0.02, -0.01, 0.03])
    known[0, 0, 1], known[0, 2, 6] = 0.1, -0.2
    x0 = 0.2 + 0.6 * x[:1].double()   # the mapped colours stay inside [0, 1]
    y = colormap.apply(known, x0)
    err = (colormap.apply(colormap.fit(x0[0], y[0]), x0) - y).abs().max()
    check(err < 5e-3, f'the fit reproduces a known mapping (largest error {err:.2g})')

    # The engine's own numbers: hz_colormap_fit (weighted) then hz_colormap_apply on this data, printed by
    # a one-off C program against libharmonize (pixels 0, 25 and 55).
    i = torch.arange(64, dtype=torch.float64)
    before = torch.stack([((i * (7 + 5 * c) + 3 * c) % 61) / 60 for c in range(3)]).float()
    after = torch.stack([0.05 + 0.8 * before[c].double() ** 2 + 0.1 * ((i + c) % 3) for c in range(3)]).float()
    mapped = colormap.apply(colormap.fit(before, after, (i % 5) / 4), before.double()[None])[0, :, [0, 25, 55]].T
    engine = torch.tensor([[0.210147083, 0, 0.211109206], [0.773235023, 1, 0.35067293],
                           [0, 0.880747318, 0.401677787]], dtype=torch.float64)
    err = (mapped - engine).abs().max()
    check(err < 1e-4, f'fit and apply match engine/hz-colormap.c on a golden case (largest error {err:.2g})')

    torch.manual_seed(0)
    model = MappingHead(8)
    pool = ImagePool(splits.photos(DATA, 'train')[:2], torch.device('cpu'))
    bank = torch.stack([luts.load_hald(p) for p in splits.luts(DATA, 'train')[:3]])
    triplet = TripletSampler(pool, bank, gen)(4, 32, 32)
    args = train_py.parse_args(['--data', DATA, '--out', tmp, '--head', 'mapping', '--steps', '1'])
    coef = model(triplet[0], triplet[3], styles=False)
    check(coef.shape == (4, 3, 17) and (coef - colormap.identity(4)).abs().max() == 0,
          'the mapping head: 3 x 17 coefficients, the identity before training')
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    curve = []
    for _ in range(12):
        total = train_py.losses(model, triplet, args, lambda: torch.autocast('cpu', enabled=False))[0]
        opt.zero_grad()
        total.backward()
        opt.step()
        curve.append(total.item())
    check(all(np.isfinite(curve)) and curve[-1] < 0.9 * curve[0],
          f'the mapping head\'s loss goes down on a fixed batch ({curve[0]:.4f} -> {curve[-1]:.4f})')
    out = os.path.join(tmp, 'mapping')
    rows = train(out, '--head', 'mapping', '--steps', '2')
    state = torch.load(os.path.join(out, 'model.pt'), map_location='cpu', weights_only=True)
    check(len(rows) == 2 and rows[-1]['val_harm'] != '' and 'fuse.4.weight' in state,
          'train.py --head mapping: 2 steps, held-out loss, model.pt with the fusion MLP')
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            train_py.parse_args(['--data', DATA, '--out', out, '--head', 'mapping', '--steps', '1',
                                 '--export', 'x.hzw'])
        refused = False
    except SystemExit:
        refused = True
    check(refused, '--head mapping refuses --export (the engine cannot run it)')


def main():
    torch.set_num_threads(1)
    lut_nodes()
    hold_out()
    triplet()
    with tempfile.TemporaryDirectory() as tmp:
        training(tmp)
        mapping_head(tmp)
    return finish()


if __name__ == '__main__':
    sys.exit(main())
