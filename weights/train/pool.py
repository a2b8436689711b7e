"""Images decoded once into one device tensor, cropped and resized on the device.

All images of a pool sit on a common canvas [N, C, H, W] (uint8), padded at the right and bottom (edge pixels
repeated for photos, so bilinear sampling at a border never mixes in black; zeros for RGBA cut-outs, whose
colour is stored premultiplied by alpha). Two-times box-filtered copies of the canvas form a small pyramid:
a crop that shrinks by 2^k or more is sampled from level k, which keeps large (global) crops free of aliasing.
Because every level is the canvas scaled by an exact power of two, normalised coordinates are the same on
every level and one affine transform per sample serves them all.
"""
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


class ImagePool:
    def __init__(self, paths, device, levels=3, rgba=False):
        if not paths:
            raise ValueError('empty image list')
        mode = 'RGBA' if rgba else 'RGB'
        images = [np.asarray(Image.open(p).convert(mode)) for p in paths]
        align = 2 ** (levels - 1)
        hmax = -(-max(im.shape[0] for im in images) // align) * align
        wmax = -(-max(im.shape[1] for im in images) // align) * align
        canvas = torch.zeros(len(images), len(mode), hmax, wmax, dtype=torch.uint8)
        for i, im in enumerate(images):
            t = torch.from_numpy(im.copy()).permute(2, 0, 1).float()
            if rgba:
                t[:3] *= t[3:] / 255.0
            pad = (0, wmax - t.shape[2], 0, hmax - t.shape[1])
            t = F.pad(t[None], pad, mode='constant' if rgba else 'replicate')[0]
            canvas[i] = t.round().to(torch.uint8)
        self.names = list(paths)
        self.sizes = torch.tensor([[im.shape[0], im.shape[1]] for im in images], dtype=torch.float32,
                                  device=device)
        self.canvas_hw = (hmax, wmax)
        self.levels = [canvas.to(device)]
        for _ in range(1, levels):
            down = F.avg_pool2d(self.levels[-1].float(), 2)
            self.levels.append(down.round().to(torch.uint8))

    def __len__(self):
        return len(self.names)

    def sample(self, idx, x0, y0, width, height, flip, out_h, out_w):
        """Crops [B, C, out_h, out_w] in 0..1: image idx[i] over the pixel rectangle (x0, y0, width,
        height) (it may reach outside the image: zeros there for RGBA, edge pixels for RGB), mirrored
        where flip[i]."""
        hmax, wmax = self.canvas_hw
        theta = torch.zeros(len(idx), 2, 3, device=idx.device)
        theta[:, 0, 0] = torch.where(flip, -width, width) / wmax
        theta[:, 0, 2] = (2 * x0 + width) / wmax - 1
        theta[:, 1, 1] = height / hmax
        theta[:, 1, 2] = (2 * y0 + height) / hmax - 1
        grid = F.affine_grid(theta, (len(idx), 1, out_h, out_w), align_corners=False)
        shrink = torch.maximum(width / out_w, height / out_h)
        level = torch.log2(shrink.clamp_min(1)).floor().clamp(max=len(self.levels) - 1).long()
        out = torch.empty(len(idx), self.levels[0].shape[1], out_h, out_w, device=idx.device)
        for k, canvas in enumerate(self.levels):
            sel = (level == k).nonzero().squeeze(1)
            if len(sel):
                src = canvas[idx[sel]].float()
                out[sel] = F.grid_sample(src, grid[sel], mode='bilinear', padding_mode='zeros',
                                         align_corners=False)
        return out / 255.0
