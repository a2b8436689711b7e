#!/usr/bin/env python3
"""Self-supervised SSH training of UNetTileSENorm (Jiang et al., ICCV 2021, section 3) on shared/data.

    python3 weights/train/train.py --data DATA --out weights/train/runs/NAME [--device cuda|cpu]
        [--head unet|mapping] [--width 32] [--size 256] [--batch 32] [--steps N | --max-minutes M]
        [--session-minutes S] [--resume]
        [--export weights/ssh-harmonize.hzw]

Each step draws `batch` triplets (augment.py): C_alpha, C_beta (one content crop in looks alpha and beta) and
R_alpha, R_beta (a reference crop of the same photo in both looks), and runs the network once on a batch of
3 x batch pairs (input, reference):
    (C_alpha, R_beta) -> C_beta     harmonization
    (C_alpha, R_alpha) -> C_alpha   reconstruction
    (C_beta, R_alpha) -> C_alpha    harmonization the other way round (free: C_beta's content feature is
                                    needed for L_dis anyway)
Loss: L = L_harm + 0.4 L_recon + 0.05 L_dis, with L_harm the mean of the two harmonization terms, pixel
losses L1 (--pixel-loss l2 for squared error), and
    L_dis = mean((Gc(C_alpha) - Gc(C_beta))^2) + mean((Gs(C_alpha) - Gs(R_alpha))^2)
where Gc is the content feature the model returns (se_1 of the deepest encoder block, [B, 16 x width, h/16,
w/16]) and Gs the (16 x width)-vector style (style encoder, SE, global average pool): Gs(C_alpha) is the 'content style' and
Gs(R_alpha) the 'reference style' that forward returns for the pair (C_alpha, R_alpha).

--head mapping trains the mapping head instead (ssh_model.MappingHead, issue 7's lever 3): no decoder; the
network predicts the engine's 17-term colour mapping (weights/colormap.py) and the same losses are taken on the
content mapped by it (values outside [0, 1] not clipped, so that they still get a gradient; the held-out loss
clips as the engine does). Its model.pt cannot be exported to the engine's weights file.

Time budget: --steps and/or --max-minutes (training time summed over resumed runs) set the run's length and
the cosine learning-rate schedule; --session-minutes or --session-steps end this process earlier with a
checkpoint, so that the run can go on in a later process (--resume). Everything goes to --out: ckpt.pt
(resumable), losses.csv, loss_curve.png, and model.pt (state_dict) at the end of each process; --export then
also writes the engine's weights file (fp16).
"""
import argparse
import csv
import math
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, WEIGHTS)
import colormap  # noqa: E402
import export  # noqa: E402
import hzw  # noqa: E402
import splits  # noqa: E402
from augment import TripletSampler  # noqa: E402
from luts import load_hald  # noqa: E402
from pool import ImagePool  # noqa: E402
from ssh_model import FULL_WIDTH, WIDTHS, MappingHead, UNetTileSENorm  # noqa: E402

CSV_FIELDS = ['step', 'samples', 'train_seconds', 'lr', 'loss', 'harm', 'recon', 'dis', 'samples_per_s',
              'val_harm', 'val_dc']
VAL_SEED = 20210811


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', required=True, help='the shared/data folder (photos/, luts/, objects/)')
    p.add_argument('--out', required=True, help='run folder (keep it out of git: weights/train/runs/NAME)')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--width', type=int, default=FULL_WIDTH, choices=WIDTHS,
                   help=f"the network's base width (every channel count x width/{FULL_WIDTH}; {FULL_WIDTH}: the authors')")
    p.add_argument('--head', choices=['unet', 'mapping'], default='unet',
                   help="unet: SSH's network; mapping: the mapping head (predicts the 17-term colour mapping)")
    p.add_argument('--size', type=int, default=256, help='crop size (long side) in pixels')
    p.add_argument('--batch', type=int, default=32, help='triplets per step (the network sees 3x as many)')
    p.add_argument('--steps', type=int, default=0, help='length of the run in steps')
    p.add_argument('--max-minutes', type=float, default=0, help='length of the run in training minutes')
    p.add_argument('--session-minutes', type=float, default=0, help='stop this process after so many minutes')
    p.add_argument('--session-steps', type=int, default=0, help='stop this process after so many steps')
    p.add_argument('--resume', action='store_true', help='go on from OUT/ckpt.pt')
    p.add_argument('--init', help='start from these model weights (state_dict .pt or .hzw) instead of random')
    p.add_argument('--lr', type=float, default=5e-4, help='peak learning rate (AdamW)')
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--warmup', type=int, default=300, help='linear warm-up steps')
    p.add_argument('--pixel-loss', choices=['l1', 'l2'], default='l1')
    p.add_argument('--w-recon', type=float, default=0.4)
    p.add_argument('--w-dis', type=float, default=0.05)
    p.add_argument('--min-scale', type=float, default=0.2, help='smallest crop, fraction of the largest')
    p.add_argument('--p-bank', type=float, default=0.5, help='share of looks from the LUT bank')
    p.add_argument('--p-object', type=float, default=0.3, help='share of contents with a pasted cut-out')
    p.add_argument('--p-hole', type=float, default=0.5, help='share of references with a filled hole')
    p.add_argument('--p-natural', type=float, default=0.05,
                   help='share of triplets whose look beta is the identity (a natural reference)')
    p.add_argument('--p-composite', type=float, default=0.0,
                   help='share of contents that are composites: the input look only inside a cut-out shape')
    p.add_argument('--p-lab', type=float, default=0.0,
                   help='share of procedural looks that first move the colours\' Lab statistics')
    p.add_argument('--lab-strength', type=float, default=1.0,
                   help='scales those moves: Lab shifts up to 12 x this, scales up to exp(0.3 or 0.5 x this)')
    p.add_argument('--aspects', default='1,0.75,1.333', help='crop aspects (width/height), one per step')
    p.add_argument('--amp', choices=['auto', 'on', 'off'], default='auto', help='bf16 autocast (auto: on CUDA)')
    p.add_argument('--compile', action='store_true', help='torch.compile the model')
    p.add_argument('--threads', type=int, default=0, help='CPU threads for torch (0: its default)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--log-every', type=int, default=25)
    p.add_argument('--val-every', type=int, default=250)
    p.add_argument('--val-batch', type=int, default=32)
    p.add_argument('--ckpt-minutes', type=float, default=3)
    p.add_argument('--ckpt-slim', action='store_true',
                   help="checkpoints without AdamW's moments (a third of the size, to commit); --resume from "
                        'one starts the optimizer afresh, warmed up again over --warmup steps')
    p.add_argument('--max-photos', type=int, default=0, help='use only the first N photos of each split (tests)')
    p.add_argument('--max-luts', type=int, default=0, help='use only the first N bank LUTs of each split (tests)')
    p.add_argument('--max-objects', type=int, default=0, help='use only the first N cut-outs (tests)')
    p.add_argument('--curve', help='also write the loss-curve PNG here (e.g. next to the model card)')
    p.add_argument('--export', help="at the end of this process, write the engine's weights file (fp16) here")
    args = p.parse_args(argv)
    if not args.steps and not args.max_minutes:
        p.error('give --steps and/or --max-minutes')
    if args.head == 'mapping' and args.export:
        p.error('--export: the engine cannot run the mapping head')
    return args


def first(items, n):
    return items[:n] if n else items


def load_material(args, device):
    t0 = time.perf_counter()
    train = ImagePool(first(splits.photos(args.data, 'train'), args.max_photos), device)
    dev = ImagePool(first(splits.photos(args.data, 'dev'), args.max_photos), device)
    bank = torch.stack([load_hald(p) for p in first(splits.luts(args.data, 'train'), args.max_luts)]).to(device)
    dev_bank = torch.stack([load_hald(p) for p in first(splits.luts(args.data, 'dev'), args.max_luts)]).to(device)
    objects = ImagePool(first(splits.objects(args.data), args.max_objects), device, rgba=True)
    print(f'material: {len(train)} training photos, {len(dev)} held-out photos, {len(bank)} training LUTs, '
          f'{len(dev_bank)} held-back LUTs, {len(objects)} cut-outs, loaded in {time.perf_counter() - t0:.1f} s',
          flush=True)
    return train, dev, bank, dev_bank, objects


def pixel_loss(kind, a, b):
    return F.l1_loss(a, b) if kind == 'l1' else F.mse_loss(a, b)


def mapped(coef, inp, clamp):
    """The content inp ([-1, 1]) through the predicted colour mappings coef [B, 3, 17], back in [-1, 1]."""
    return colormap.apply(coef.float(), (inp.float() + 1) / 2, clamp) * 2 - 1


def forward(model, inp, ref, args, autocast):
    """(output, content feature, ref style, content style) for either head."""
    with autocast():
        out, content, styles = model(inp, ref)
    if args.head == 'mapping':
        out = mapped(out, inp, clamp=False)
    return out.float(), content.float(), styles[0], styles[1]


def losses(model, triplet, args, autocast):
    c_a, c_b, r_a, r_b, around = triplet
    n = len(c_a)
    # A composite content has the target's look around its cut-out shape, as the engine's content has.
    inp = torch.cat([c_a + around * (c_b - c_a), c_a, c_b + around * (c_a - c_b)])
    ref = torch.cat([r_b, r_a, r_a])
    if inp.is_cuda:
        inp = inp.contiguous(memory_format=torch.channels_last)
        ref = ref.contiguous(memory_format=torch.channels_last)
    out, content, ref_style, content_style = forward(model, inp, ref, args, autocast)
    harm = (pixel_loss(args.pixel_loss, out[:n], c_b) + pixel_loss(args.pixel_loss, out[2 * n:], c_a)) / 2
    recon = pixel_loss(args.pixel_loss, out[n:2 * n], c_a)
    dis = (F.mse_loss(content[:n], content[2 * n:])
           + F.mse_loss(content_style[n:2 * n].float(), ref_style[n:2 * n].float()))
    total = harm + args.w_recon * recon + args.w_dis * dis
    return total, harm, recon, dis


@torch.no_grad()
def validate(model, val, autocast, head='unet'):
    """Harmonization L1 on the fixed held-out triplets (BN in inference form, as the engine runs it), and
    the L1 of doing nothing (the input itself) for scale."""
    c_a, c_b, r_a, r_b, _ = val
    model.eval()
    inp = torch.cat([c_a, c_b])
    with autocast():
        out = model(inp, torch.cat([r_b, r_a]), styles=False).float()
    if head == 'mapping':
        out = mapped(out, inp, clamp=True)
    model.train()
    target = torch.cat([c_b, c_a])
    return F.l1_loss(out, target).item(), F.l1_loss(torch.cat([c_a, c_b]), target).item()


def lr_at(args, step, progress, since=0):
    """The learning rate at step; warmed up from step since (0, or where a fresh optimizer took over)."""
    warm = min(1.0, (step - since + 1) / max(1, args.warmup))
    return args.lr * warm * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def run_progress(args, step, seconds):
    p = 0.0
    if args.steps:
        p = max(p, step / args.steps)
    if args.max_minutes:
        p = max(p, seconds / (60 * args.max_minutes))
    return p


def save_atomic(obj, path):
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    os.replace(tmp, path)


def read_log(path, up_to_step):
    if not os.path.exists(path):
        return []
    with open(path, newline='') as f:
        return [r for r in csv.DictReader(f) if int(r['step']) <= up_to_step]


def write_log(path, rows):
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)


def plot_curve(rows, path, extra=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    steps = [int(r['step']) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for key in ('loss', 'harm', 'recon', 'dis'):
        ax.plot(steps, [float(r[key]) for r in rows], label=key, linewidth=1)
    val = [(int(r['step']), float(r['val_harm']), float(r['val_dc'])) for r in rows if r.get('val_harm')]
    if val:
        ax.plot([v[0] for v in val], [v[1] for v in val], 'o-', label='held-out harm (L1)', markersize=3)
        ax.plot([v[0] for v in val], [v[2] for v in val], ':', label='held-out, doing nothing', color='grey')
    ax.set_yscale('log')
    ax.set_xlabel('step')
    ax.set_ylabel('loss')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=8)
    samples = int(rows[-1]['samples']) if rows else 0
    ax.set_title(f'SSH training: {samples} triplets', fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    if extra:
        shutil.copyfile(path, extra)


def main(argv=None):
    args = parse_args(argv)
    device = torch.device(args.device)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, 'ckpt.pt')
    log_path = os.path.join(args.out, 'losses.csv')
    use_amp = args.amp == 'on' or (args.amp == 'auto' and device.type == 'cuda')

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp)

    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    train, dev, bank, dev_bank, objects = load_material(args, device)
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed)
    sampler = TripletSampler(train, bank, gen, objects, args.min_scale, args.p_object, args.p_hole, args.p_bank,
                             args.p_natural, args.p_composite, args.p_lab, args.lab_strength)
    val_gen = torch.Generator(device=device)
    val_gen.manual_seed(VAL_SEED)
    val = TripletSampler(dev, dev_bank, val_gen, objects, p_object=0, p_hole=args.p_hole)(
        args.val_batch, args.size, args.size)
    aspects = [float(a) for a in args.aspects.split(',')]

    model = (MappingHead if args.head == 'mapping' else UNetTileSENorm)(args.width).to(device)
    if args.init and not args.resume:
        load_init(model, args.init, device)
    if device.type == 'cuda':
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    step, samples, train_seconds = 0, 0, 0.0
    rewarm_from = 0
    if args.resume:
        if not os.path.exists(ckpt_path):
            raise SystemExit(f'{ckpt_path}: no checkpoint to resume from')
        ck = torch.load(ckpt_path, map_location='cpu', weights_only=True)
        model.load_state_dict(ck['model'])
        step, samples, train_seconds = ck['step'], ck['samples'], ck['train_seconds']
        if 'optimizer' in ck:
            opt.load_state_dict(ck['optimizer'])
        else:
            rewarm_from = step
            print(f'{ckpt_path} has no optimizer state (--ckpt-slim): AdamW starts afresh, warmed up again '
                  f'over {args.warmup} steps', flush=True)
        gen.set_state(ck['gen'])
        torch.set_rng_state(ck['torch_rng'])
        random.setstate(ck['py_rng'])
        print(f'resumed from {ckpt_path} at step {step} ({samples} triplets, {train_seconds / 60:.1f} min)',
              flush=True)
    rows = read_log(log_path, step)
    net = torch.compile(model) if args.compile else model
    n_params = sum(p.numel() for p in model.parameters())
    print(f'model: {args.head} head, width {args.width}, {n_params} parameters; device {device}, bf16 autocast '
          f'{"on" if use_amp else "off"}, batch {args.batch} triplets at {args.size} px', flush=True)

    def checkpoint():
        state = {'model': model.state_dict(), 'step': step, 'samples': samples, 'train_seconds': train_seconds,
                 'gen': gen.get_state(), 'torch_rng': torch.get_rng_state(), 'py_rng': random.getstate(),
                 'args': vars(args)}
        if not args.ckpt_slim:
            state['optimizer'] = opt.state_dict()
        save_atomic(state, ckpt_path)
        write_log(log_path, rows)
        if rows:
            plot_curve(rows, os.path.join(args.out, 'loss_curve.png'), args.curve)

    session_start, session_first_step = time.perf_counter(), step
    last_ckpt = session_start
    acc = torch.zeros(4, device=device)
    acc_n, interval_samples, interval_seconds = 0, 0, 0.0
    bad_steps = 0
    while run_progress(args, step, train_seconds) < 1:
        if (args.session_minutes and time.perf_counter() - session_start > 60 * args.session_minutes) or \
                (args.session_steps and step - session_first_step >= args.session_steps):
            print('this session is over; go on with --resume', flush=True)
            break
        t0 = time.perf_counter()
        lr = lr_at(args, step, run_progress(args, step, train_seconds), rewarm_from)
        for group in opt.param_groups:
            group['lr'] = lr
        aspect = aspects[step % len(aspects)]
        short = max(16, round(args.size * min(aspect, 1 / aspect) / 16) * 16)
        h, w = (args.size, short) if aspect < 1 else (short, args.size)
        triplet = sampler(args.batch, h, w)
        total, harm, recon, dis = losses(net, triplet, args, autocast)
        opt.zero_grad(set_to_none=True)
        if not torch.isfinite(total):
            bad_steps += 1
            print(f'step {step + 1}: non-finite loss, step skipped', flush=True)
            if bad_steps >= 10:
                raise SystemExit('10 non-finite losses in a row: stopping (lower --lr?)')
            continue
        bad_steps = 0
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        acc += torch.stack([total.detach(), harm.detach(), recon.detach(), dis.detach()])
        acc_n += 1
        step += 1
        samples += args.batch
        if device.type == 'cuda':
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        train_seconds += dt
        interval_samples += args.batch
        interval_seconds += dt
        done = run_progress(args, step, train_seconds) >= 1
        val_now = step % args.val_every == 0 or done
        if step % args.log_every == 0 or val_now:
            mean = (acc / acc_n).tolist()
            row = {'step': step, 'samples': samples, 'train_seconds': f'{train_seconds:.1f}', 'lr': f'{lr:.3g}',
                   'loss': f'{mean[0]:.5f}', 'harm': f'{mean[1]:.5f}', 'recon': f'{mean[2]:.5f}',
                   'dis': f'{mean[3]:.5f}', 'samples_per_s': f'{interval_samples / interval_seconds:.3g}',
                   'val_harm': '', 'val_dc': ''}
            if val_now:
                vh, vd = validate(model, val, autocast, args.head)
                row['val_harm'], row['val_dc'] = f'{vh:.5f}', f'{vd:.5f}'
            rows.append(row)
            mem = f' gpu_peak_gb {torch.cuda.max_memory_allocated() / 2**30:.1f}' if device.type == 'cuda' else ''
            print(' '.join(f'{k} {row[k]}' for k in CSV_FIELDS if row[k] != '') + mem, flush=True)
            acc.zero_()
            acc_n, interval_samples, interval_seconds = 0, 0, 0.0
        if time.perf_counter() - last_ckpt > 60 * args.ckpt_minutes:
            checkpoint()
            last_ckpt = time.perf_counter()
    checkpoint()
    over = run_progress(args, step, train_seconds) >= 1
    print(f'checkpoint: {ckpt_path} at step {step} ({samples} triplets, {train_seconds / 60:.1f} training '
          f'minutes){"; the run is over" if over else ""}', flush=True)
    save_model(args, model, step, samples, train_seconds, over)


def save_model(args, model, step, samples, train_seconds, over):
    """OUT/model.pt (state_dict) and, with --export, the engine's weights file: at the end of every
    process, so that a run cut short still leaves its latest weights."""
    model_path = os.path.join(args.out, 'model.pt')
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    torch.save(state, model_path)
    print(f'model: {model_path}', flush=True)
    if args.export:
        note = (f'SSH self-supervised recipe (weights/train/train.py), {step} steps, {samples} triplets, '
                f'{train_seconds / 60:.1f} training minutes, batch {args.batch}, {args.size} px'
                + ('' if over else ', run not finished'))
        # Run at the size it was trained at (a network trained at 64 px is far worse at 256), within
        # what the engine runs.
        lo, hi = export.WORKING_SIZE_RANGE
        size = str(min(hi, max(lo, args.size)))
        subprocess.run([sys.executable, os.path.join(WEIGHTS, 'export.py'), model_path, args.export, '--fp16',
                        '--training', note, '--train-size', str(args.size), '--working-size', size], check=True)


def load_init(model, path, device):
    """Model weights from a state_dict .pt or an engine weights file (.hzw, which has no BN counters)."""
    if path.endswith('.hzw'):
        tensors, _ = hzw.read(path)
        state = {k: torch.from_numpy(v.astype(np.float32)) for k, v in tensors.items()}
    else:
        state = torch.load(path, map_location=device, weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.endswith('num_batches_tracked') for k in missing):
        raise SystemExit(f'{path}: does not match the model (missing {missing[:3]}, unexpected {unexpected[:3]})')


if __name__ == '__main__':
    main()
