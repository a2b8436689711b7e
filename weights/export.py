#!/usr/bin/env python3
"""Exports a PyTorch checkpoint of UNetTileSENorm to a gimp-harmonize weights file (FORMAT.md).

    python3 weights/export.py IN.pt OUT.hzw [--fp16] [--training TEXT]

IN is a state_dict saved with torch.save, or a dict holding one under 'model_state_dict' (as the SSH
release checkpoint) or 'state_dict'. A 'module.' prefix (DataParallel) is stripped and num_batches_tracked
dropped; names and shapes must be exactly those of weights/ssh_model.py's UNetTileSENorm.
"""
import argparse
import os
import pickle
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hzw  # noqa: E402
from ssh_model import UNetTileSENorm  # noqa: E402


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
    """The model's tensors in state_dict order, as float32 arrays; exits naming the first mismatch."""
    expected = {k: tuple(v.shape) for k, v in UNetTileSENorm().state_dict().items()
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
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('input', help='checkpoint saved with torch.save')
    p.add_argument('output', help='weights file to write')
    p.add_argument('--fp16', action='store_true', help='store tensors as fp16 (half the size)')
    p.add_argument('--training', default=None, help="text for the 'training' metadata")
    p.add_argument('--unsafe-load', action='store_true',
                   help='allow a checkpoint that pickles more than tensors (runs its code: trusted files only)')
    args = p.parse_args()

    tensors = checked_tensors(load_state_dict(args.input, args.unsafe_load), args.input)
    if args.fp16:
        big = max(float(np.abs(a).max()) for a in tensors.values())
        if big >= 65520:
            raise SystemExit(f'{args.input}: a value of {big:g} does not fit in fp16; export without --fp16')
    meta = {'architecture': hzw.ARCHITECTURE,
            'source': os.path.basename(args.input),
            'training': args.training or f'exported from {os.path.basename(args.input)}'}
    hzw.write(args.output, tensors, meta, half=args.fp16)
    print(f'{args.output}: {len(tensors)} tensors, {sum(a.size for a in tensors.values())} parameters, '
          f'{"fp16" if args.fp16 else "fp32"}, {os.path.getsize(args.output)} bytes')


if __name__ == '__main__':
    main()
