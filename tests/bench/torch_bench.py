#!/usr/bin/env python3
"""PyTorch side of bench-net: the reference model (weights/ssh_model.py) on the CPU, driven over stdin.

    python3 torch_bench.py WEIGHTS.hzw

Loads the weights file through weights/hzw.py (the model at the file's width), prints one line describing PyTorch, then answers one
line per command (bench-net alternates engine and PyTorch runs so that both see the same machine load):

    size S CONTENT REF   load planar float32 3 x S x S inputs from raw files     -> "ok"
    run T                one forward on T threads (eval, no_grad, styles off)    -> seconds
    save OUT             write the last output as raw planar float32 to OUT      -> "ok"
    rss                  this process's peak resident set size                   -> kB
"""
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'weights'))
import hzw  # noqa: E402
from ssh_model import UNetTileSENorm  # noqa: E402


def load_model(path):
    tensors, _ = hzw.read(path)
    state = {name: torch.from_numpy(np.array(a, dtype=np.float32)) for name, a in tensors.items()}
    model = UNetTileSENorm(UNetTileSENorm.width_of(state))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith('num_batches_tracked')]
    if missing or unexpected:
        sys.exit(f'torch_bench: {path} does not fit the model: missing {missing}, unexpected {unexpected}')
    return model.eval()


def read_image(path, size):
    data = np.fromfile(path, dtype='<f4')
    if data.size != 3 * size * size:
        sys.exit(f'torch_bench: {path} holds {data.size} floats, not 3 x {size} x {size}')
    return torch.from_numpy(data.reshape(1, 3, size, size))


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    model = load_model(argv[1])
    print(f'PyTorch {torch.__version__}, oneDNN {"on" if torch.backends.mkldnn.is_available() else "off"}',
          flush=True)
    content = ref = output = None
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == 'size':
            size = int(args[0])
            content, ref = read_image(args[1], size), read_image(args[2], size)
            reply = 'ok'
        elif cmd == 'run':
            torch.set_num_threads(int(args[0]))
            with torch.no_grad():
                start = time.perf_counter()
                output = model(content, ref, styles=False)
                reply = f'{time.perf_counter() - start:.6f}'
        elif cmd == 'save':
            output.numpy().astype('<f4').tofile(args[0])
            reply = 'ok'
        elif cmd == 'rss':
            reply = str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        else:
            sys.exit(f'torch_bench: unknown command {cmd!r}')
        print(reply, flush=True)


if __name__ == '__main__':
    main(sys.argv)
