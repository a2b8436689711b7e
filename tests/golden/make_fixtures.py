"""Golden fixtures for tests/test-net-golden.c: per-layer outputs of the PyTorch model at two widths, and
the training recipe's hole filling (weights/train/augment.py fill_holes) that must equal the engine's.

Regenerate (from the repository root; needs python3-torch and numpy, as in the Debian 13 root):

    scripts/debian13-root python3 tests/golden/make_fixtures.py

It builds weights/ssh_model.py's UNetTileSENorm with every tensor from the seeded generator that
tests/testgen.c shares (see generate() below), runs it in eval mode on generated inputs and writes
ssh-golden.bin (raw little-endian float32) and ssh-golden.txt (its index) beside this script.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'weights'))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'weights', 'train'))
import ssh_model  # noqa: E402
from augment import fill_holes  # noqa: E402

MASK = (1 << 64) - 1

# name, width, content h x w, reference h x w, which taps to keep (None: all).
# a: padding on every side (14 x 27 -> 16 x 32), odd reference sizes through the stride-2 convs;
# b: no padding at all; c: the smallest reference PyTorch's reflection padding accepts (9 x 9);
# n: the network at width 8 (every channel count / 4), every layer;
# w: outputs of 64 a side at the top level, where the engine takes Winograd F(4x4, 3x3).
CASES = [
    ('a', 32, 14, 27, 27, 35, None),
    ('b', 32, 32, 48, 16, 21, ['style', 'se_1', 'conv10', 'output']),
    ('c', 32, 40, 56, 9, 11, ['style', 'output']),
    ('n', 8, 14, 27, 23, 40, None),
    ('w', 32, 64, 64, 16, 21, ['output']),
]
# Pull-push fills: name, channels, h x w (odd sides, a single row, one side a power of two).
FILLS = [('f1', 3, 13, 10), ('f2', 2, 33, 17), ('f3', 1, 1, 7), ('f4', 3, 32, 9)]
# First values of a few tensors, compared exactly by the C test: the generators must agree bit for bit.
GEN_SAMPLES = ['conv1_1.weight', 'bn3_2.running_var', 'bn3_2.weight', 'se_1.fc.0.bias',
               'style_encoder.model.2.norm.running_mean', 'input.a.content']
GEN_COUNT = 16


def fnv1a64(name):
    h = 0xcbf29ce484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001b3) & MASK
    return h


def uniform(name, n):
    """u in [-1, 1) for elements 0..n-1 of the tensor called name (float64, exact)."""
    with np.errstate(over='ignore'):
        z = np.arange(n, dtype=np.uint64) + np.uint64(fnv1a64(name))
        z = z + np.uint64(0x9e3779b97f4a7c15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xbf58476d1ce4e5b9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94d049bb133111eb)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / 8388608.0 - 1.0


def generate(name, shape):
    """A tensor's values by its kind, as testgen_fill in tests/testgen.c."""
    n = int(np.prod(shape)) if len(shape) else 1
    mul, add = 1.0, 0.0
    if name.endswith('.running_mean'):
        mul = 0.1
    elif name.endswith('.running_var'):
        mul, add = 0.5, 1.0
    elif name.endswith('.weight') and len(shape) == 1:
        mul, add = 0.25, 1.0
    elif name.endswith('.weight'):
        mul = np.sqrt(3.0 / (n // shape[0]))
    elif name.endswith('.bias'):
        mul = 0.1
    return (add + uniform(name, n) * mul).astype(np.float32).reshape(shape)


def build_model(width):
    model = ssh_model.UNetTileSENorm(width)
    state = model.state_dict()
    for name, t in state.items():
        if not name.endswith('num_batches_tracked'):
            t.copy_(torch.from_numpy(generate(name, tuple(t.shape))))
    model.load_state_dict(state)
    return model.eval()


def run_case(model, h, w, hr, wr, case):
    """Output of every layer the C network taps, under the C names."""
    taps = {}
    hooks = []

    def keep(name, f=lambda t: t):
        def hook(module, args, out):
            assert name not in taps, name + ' ran twice'
            taps[name] = f(out.detach())[0].numpy().copy()
        return hook

    layers = [f'style_encoder.model.{i}' for i in range(5)] + ['se_1', 'content_style_conv', 'conv10']
    layers += [f'bn{i}_{j}' for i in range(1, 9) for j in (1, 2)] + ['bn9_1']
    layers += [f'deconv{d}' for d in range(5, 9)]
    for name in layers:
        hooks.append(model.get_submodule(name).register_forward_hook(keep(name)))
    # conv9_2 has no BatchNorm: its block output is the LeakyReLU of the conv's.
    hooks.append(model.conv9_2.register_forward_hook(keep('conv9_2', lambda t: F.leaky_relu(t, 0.2))))
    hooks.append(model.avg_pool.register_forward_hook(keep('style')))

    content = torch.from_numpy(generate(f'input.{case}.content', (1, 3, h, w)))
    ref = torch.from_numpy(generate(f'input.{case}.ref', (1, 3, hr, wr)))
    with torch.no_grad():
        taps['output'] = model(content, ref, styles=False)[0].numpy().copy()
    for hk in hooks:
        hk.remove()
    return taps


def fill_inputs(name, c, h, w):
    """As tests/test-net-golden.c makes them: colours (u + 1) / 2; coverage clamp(1.5 u + 0.25, 0, 1), so
    about a third holes, a quarter full and the rest partial."""
    img = (uniform(f'fill.{name}.image', c * h * w).reshape(1, c, h, w) + 1) / 2
    cover = np.clip(1.5 * uniform(f'fill.{name}.cover', h * w).reshape(1, 1, h, w) + 0.25, 0, 1)
    return torch.from_numpy(img.astype(np.float32)), torch.from_numpy(cover.astype(np.float32))


def main():
    torch.manual_seed(0)
    models = {w: build_model(w) for w in sorted({case[1] for case in CASES})}
    model = models[ssh_model.FULL_WIDTH]
    index = ['# Golden fixtures for tests/test-net-golden.c, made by make_fixtures.py (see it to regenerate).',
             '# gen NAME COUNT OFFSET | case NAME WIDTH H W HR WR | tap CASE LAYER C H W OFFSET | '
             'fill NAME C H W OFFSET; offsets in floats',
             f'# torch {torch.__version__}, numpy {np.__version__}']
    chunks, offset = [], 0

    def add(values):
        nonlocal offset
        values = np.ascontiguousarray(values, dtype='<f4').ravel()
        chunks.append(values)
        offset += values.size
        return offset - values.size

    for name in GEN_SAMPLES:
        shape = (1, 3, 14, 27) if name.startswith('input.') else tuple(model.state_dict()[name].shape)
        index.append(f'gen {name} {GEN_COUNT} {add(generate(name, shape).ravel()[:GEN_COUNT])}')
    for case, width, h, w, hr, wr, keep in CASES:
        index.append(f'case {case} {width} {h} {w} {hr} {wr}')
        for layer, t in run_case(models[width], h, w, hr, wr, case).items():
            if keep is None or layer in keep:
                c, th, tw = t.shape
                index.append(f'tap {case} {layer} {c} {th} {tw} {add(t)}')
    for name, c, h, w in FILLS:
        index.append(f'fill {name} {c} {h} {w} {add(fill_holes(*fill_inputs(name, c, h, w))[0].numpy())}')
    np.concatenate(chunks).tofile(os.path.join(HERE, 'ssh-golden.bin'))
    with open(os.path.join(HERE, 'ssh-golden.txt'), 'w') as f:
        f.write('\n'.join(index) + '\n')
    print(f'{len(index)} index lines, {offset * 4} bytes of data')


if __name__ == '__main__':
    main()
