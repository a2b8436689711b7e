#!/usr/bin/env python3
"""Export round trip: a random UNetTileSENorm saved with torch.save, exported by weights/export.py (fp32
and --fp16), read back by weights/hzw.py and by the engine's loader (tests/weights-tool), every tensor
compared bit for bit with what was saved (fp16: with numpy's rounding of it). The engine's fp16 writer
is checked against numpy's rounding too, and export.py's refusals. Skips (77) without torch.

    test-export.py WEIGHTS_TOOL
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f'skip: {e}')
    sys.exit(77)

ROOT = os.environ.get('HARMONIZE_SOURCE_ROOT', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(ROOT, 'weights'))
import export  # noqa: E402
import hzw  # noqa: E402
from ssh_model import UNetTileSENorm  # noqa: E402

EXPORT = os.path.join(ROOT, 'weights', 'export.py')
# fp16 rounding cases: ties to even, the largest value, subnormals (and a tie between two of them).
EDGES = np.array([1 + 2**-11, 1 + 3 * 2**-11, 65504, 65519, 2**-24, 2**-25, 3 * 2**-25, 1e-8,
                  -2**-14, -0.0, 0.1, -1e-4], dtype=np.float32)


def random_state_dict(width=32):
    torch.manual_seed(7)
    state = UNetTileSENorm(width).state_dict()
    for name, t in state.items():
        if name.endswith('num_batches_tracked'):
            t.fill_(1234)
        elif name.endswith('running_var'):
            t.copy_(torch.rand_like(t) * 3 + 0.01)
        else:
            t.copy_(torch.randn_like(t) * 0.5)
    if width == 32:
        state['bn1_1.running_mean'][:len(EDGES)] = torch.from_numpy(EDGES)
    return state


def run(*args, ok=True):
    p = subprocess.run(args, capture_output=True, text=True)
    if (p.returncode == 0) != ok:
        sys.exit(f'FAIL: {" ".join(args)} exited {p.returncode}\n{p.stdout}{p.stderr}')
    return p.stdout + p.stderr


def same_bits(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def check_python(path, expected, dtype):
    tensors, meta = hzw.read(path)
    assert meta['architecture'] == 'ssh-unet-tile-se-norm', meta
    assert list(tensors) == list(expected), 'names or order differ'
    for name, a in expected.items():
        assert same_bits(tensors[name], a.astype(dtype)), f'{path}: {name} differs (hzw.py)'


def check_c(tool, path, expected, dtype, tmp):
    raw = os.path.join(tmp, 'dump.raw')
    listing = run(tool, 'dump', path, raw).splitlines()
    assert listing[0] == 'architecture ssh-unet-tile-se-norm', listing[0]
    data = np.fromfile(raw, dtype='<f4')
    pos = 0
    assert len(listing) - 1 == len(expected)
    for line, (name, a) in zip(listing[1:], expected.items()):
        assert line.split() == [name] + [str(d) for d in a.shape], f'{line!r} is not {name} {a.shape}'
        got = data[pos:pos + a.size].reshape(a.shape)
        pos += a.size
        assert same_bits(got, a.astype(dtype).astype(np.float32)), f'{path}: {name} differs (C loader)'
    assert pos == data.size


def refused(check, expected_message):
    """export.py's checks, in this process (a subprocess each would reload torch)."""
    try:
        check()
    except SystemExit as e:
        assert expected_message in str(e), f'{expected_message!r} not in {e}'
        return
    sys.exit(f'FAIL: export.py accepted what it should refuse ({expected_message})')


def main():
    tool = sys.argv[1]
    state = random_state_dict()
    expected = {k: v.numpy() for k, v in state.items() if not k.endswith('num_batches_tracked')}
    with tempfile.TemporaryDirectory() as tmp:
        plain, wrapped = os.path.join(tmp, 'plain.pt'), os.path.join(tmp, 'wrapped.pt')
        torch.save(state, plain)
        # As the SSH release checkpoint: under model_state_dict, here also with DataParallel's prefix.
        torch.save({'model_state_dict': {'module.' + k: v for k, v in state.items()}, 'epoch': 3}, wrapped)
        f32, f16 = os.path.join(tmp, 'w32.hzw'), os.path.join(tmp, 'w16.hzw')
        run(sys.executable, EXPORT, plain, f32)
        run(sys.executable, EXPORT, wrapped, f16, '--fp16', '--training', 'test run')
        assert hzw.read(f16)[1]['training'] == 'test run'

        check_python(f32, expected, np.float32)
        check_python(f16, expected, np.float16)
        check_c(tool, f32, expected, np.float32, tmp)
        check_c(tool, f16, expected, np.float16, tmp)

        # The engine's writer: fp32 as is, fp16 rounded as numpy rounds.
        c32, c16 = os.path.join(tmp, 'c32.hzw'), os.path.join(tmp, 'c16.hzw')
        run(tool, 'rewrite', f32, c32)
        run(tool, 'rewrite', f32, c16, 'fp16')
        for path, dtype in ((c32, np.float32), (c16, np.float16)):
            tensors, meta = hzw.read(path)
            assert meta == {}
            for name, a in expected.items():
                assert same_bits(tensors[name], a.astype(dtype)), f'{path}: {name} differs (C writer)'
            # Both writers lay the same tensors out byte for byte alike.
            with open(path, 'rb') as f:
                assert f.read() == hzw.encode(expected, half=dtype == np.float16), f'{path}: hzw.py writes otherwise'

        # A corrupt file, and one with a reserved header byte set, are refused by both readers.
        good = open(f16, 'rb').read()
        for pos, message in ((len(good) // 2, 'checksum mismatch (file corrupt)'),
                             (40, 'reserved header bytes are not zero')):
            data = bytearray(good)
            data[pos] ^= 0x10
            open(f16, 'wb').write(data)
            try:
                hzw.read(f16)
                sys.exit(f'FAIL: hzw.py read a file changed at byte {pos}')
            except hzw.FormatError as e:
                assert message in str(e), e
            assert message in run(tool, 'dump', f16, os.path.join(tmp, 'x'), ok=False)

        # export.py refuses what is not this architecture, naming the tensor.
        refused(lambda: export.checked_tensors({k: v for k, v in state.items() if k != 'conv9_2.bias'}, 'x'),
                "x: tensor 'conv9_2.bias' is missing")
        refused(lambda: export.checked_tensors({**state, 'conv10.weight': torch.zeros(3, 32, 3, 3)}, 'x'),
                "tensor 'conv10.weight' has shape [3, 32, 3, 3], expected [3, 32, 1, 1]")
        refused(lambda: export.checked_tensors({**state, 'bn9_2.weight': torch.zeros(32)}, 'x'),
                "unexpected tensor 'bn9_2.weight'")
        refused(lambda: export.checked_tensors({**state, 'conv1_1.weight': torch.zeros(12, 3, 3, 3)}, 'x'),
                'x: conv1_1 has 12 output channels; the engine runs widths (4, 8, 16, 32)')

        # A narrower network: its width and working size are recorded, and the C loader takes it.
        narrow = random_state_dict(8)
        small = {k: v.numpy() for k, v in narrow.items() if not k.endswith('num_batches_tracked')}
        n8, h8 = os.path.join(tmp, 'n8.pt'), os.path.join(tmp, 'n8.hzw')
        torch.save(narrow, n8)
        run(sys.executable, EXPORT, n8, h8, '--working-size', '96', '--train-size', '96', '--commit', 'abc')
        meta = hzw.read(h8)[1]
        assert (meta['width'], meta['working_size'], meta['train_size'], meta['training_commit']) == \
            ('8', '96', '96', 'abc'), meta
        check_c(tool, h8, small, np.float32, tmp)
        assert 'is not within 64..1024' in run(sys.executable, EXPORT, n8, h8, '--working-size', '32', ok=False)

        not_weights = os.path.join(tmp, 'list.pt')
        torch.save([1, 2], not_weights)
        refused(lambda: export.load_state_dict(not_weights, False), 'not a state_dict')
    print(f'ok: {len(expected)} tensors, {sum(a.size for a in expected.values())} parameters, '
          'fp32 and fp16, Python and C readers and writers agree')


if __name__ == '__main__':
    main()
