#!/usr/bin/env python3
"""Exports a PyTorch checkpoint of UNetTileSENorm to a gimp-harmonize weights file (FORMAT.md).

    python3 weights/export.py IN.pt OUT.hzw [--fp16] [--training TEXT] [--working-size N] [--train-size N]
        [--commit REV]

IN is a state_dict saved with torch.save, or a dict holding one under 'model_state_dict' (as the SSH
release checkpoint) or 'state_dict'. A 'module.' prefix (DataParallel) is stripped and num_batches_tracked
dropped; names and shapes must be exactly those of weights/ssh_model.py's UNetTileSENorm at the width that
the first conv's output channels give (32 for the authors' release).
"""
import argparse
import os
import pickle
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hzw  # noqa: E402
from ssh_model import WIDTHS, UNetTileSENorm  # noqa: E402

WORKING_SIZE_RANGE = (64, 1024)   # engine/harmonize.h: HZ_WORKING_SIZE_MIN, HZ_WORKING_SIZE_MAX


def load_state_dict(path, unsafe):
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=not unsafe)
    except pickle.UnpicklingError as e:
        raise SystemExit(f'{path}: holds more than tensors ({str(e).splitlines()[0]}); '
                         'if you trust it, run again with --unsafe-load') from None
    for key in ('model_state_dict', 'state_dict'):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    if not isinstance(checkpoint, dict) or not all(torch.is_tensor(v) for v in checkpoint.values()):
        raise SystemExit(f'{path}: not a state_dict (nor a dict with model_state_dict or state_dict)')
    return {k.removeprefix('module.'): v for k, v in checkpoint.items()}


def checked_tensors(state, path):
    """The model's width and its tensors in state_dict order, as float32 arrays; exits naming the first
    mismatch."""
    if 'conv1_1.weight' not in state:
        raise SystemExit(f"{path}: tensor 'conv1_1.weight' is missing")
    width = UNetTileSENorm.width_of(state)
    if width not in WIDTHS:
        raise SystemExit(f'{path}: conv1_1 has {width} output channels; the engine runs widths {WIDTHS}')
    expected = {k: tuple(v.shape) for k, v in UNetTileSENorm(width).state_dict().items()
                if not k.endswith('num_batches_tracked')}
    state = {k: v for k, v in state.items() if not k.endswith('num_batches_tracked')}
    for name, shape in expected.items():
        if name not in state:
            raise SystemExit(f'{path}: tensor {name!r} is missing')
        if tuple(state[name].shape) != shape:
            raise SystemExit(f'{path}: tensor {name!r} has shape {list(state[name].shape)}, expected {list(shape)}')
    for name in state:
        if name not in expected:
            raise SystemExit(f'{path}: unexpected tensor {name!r} (not part of {hzw.ARCHITECTURE})')
    out = {}
    for name in expected:
        a = state[name].detach().to(torch.float32).cpu().numpy()
        if not np.isfinite(a).all():
            raise SystemExit(f'{path}: tensor {name!r} holds NaN or infinite values')
        out[name] = a
    return width, out


def git_commit():
    """The checkout's commit (with -dirty when it has changes), or 'unknown' outside git."""
    try:
        return subprocess.run(['git', 'describe', '--always', '--dirty', '--abbrev=12'], cwd=HERE,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def size_arg(text):
    n = int(text)
    if not WORKING_SIZE_RANGE[0] <= n <= WORKING_SIZE_RANGE[1]:
        raise argparse.ArgumentTypeError(f'{n} is not within {WORKING_SIZE_RANGE[0]}..{WORKING_SIZE_RANGE[1]}')
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('input', help='checkpoint saved with torch.save')
    p.add_argument('output', help='weights file to write')
    p.add_argument('--fp16', action='store_true', help='store tensors as fp16 (half the size)')
    p.add_argument('--training', default=None, help="text for the 'training' metadata")
    p.add_argument('--working-size', type=size_arg, default=256,
                   help='the working size the engine runs this network at by default (256)')
    p.add_argument('--train-size', type=int, help='the crop size it was trained at, recorded')
    p.add_argument('--commit', help='the commit of the training recipe, recorded (default: this checkout)')
    p.add_argument('--unsafe-load', action='store_true',
                   help='allow a checkpoint that pickles more than tensors (runs its code: trusted files only)')
    args = p.parse_args()

    width, tensors = checked_tensors(load_state_dict(args.input, args.unsafe_load), args.input)
    if args.fp16:
        big = max(float(np.abs(a).max()) for a in tensors.values())
        if big >= 65520:
            raise SystemExit(f'{args.input}: a value of {big:g} does not fit in fp16; export without --fp16')
    meta = {'architecture': hzw.ARCHITECTURE,
            'source': os.path.basename(args.input),
            'training': args.training or f'exported from {os.path.basename(args.input)}',
            'width': str(width),
            'working_size': str(args.working_size),
            'training_commit': args.commit or git_commit()}
    if args.train_size:
        meta['train_size'] = str(args.train_size)
    hzw.write(args.output, tensors, meta, half=args.fp16)
    print(f'{args.output}: width {width}, {len(tensors)} tensors, {sum(a.size for a in tensors.values())} parameters, '
          f'{"fp16" if args.fp16 else "fp32"}, {os.path.getsize(args.output)} bytes')


if __name__ == '__main__':
    main()
