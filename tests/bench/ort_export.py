#!/usr/bin/env python3
"""ONNX export of the reference model for bench-net's ONNX Runtime peer (tests/bench/ort_bench.js).

    python3 ort_export.py WEIGHTS.hzw OUT.onnx

The model of weights/ssh_model.py at the weights file's width, loaded as torch_bench.py loads it, exported
with torch.onnx.export's TorchScript exporter (which needs no onnx package) for content and reference of
any size that is a multiple of 16 (bench-net's sizes: no padding in the graph).
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from torch_bench import load_model  # noqa: E402


class Forward(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, content, ref):
        return self.model(content, ref, styles=False)


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    model = Forward(load_model(argv[1]))
    example = torch.zeros(1, 3, 64, 64)
    axes = {2: 'h', 3: 'w'}
    with torch.no_grad():
        torch.onnx.export(model, (example, example), argv[2], input_names=['content', 'ref'],
                          output_names=['output'], opset_version=17, dynamo=False,
                          dynamic_axes={'content': axes, 'ref': {2: 'hr', 3: 'wr'}, 'output': axes})


if __name__ == '__main__':
    main(sys.argv)
