"""The SSH harmonization network, UNetTileSENorm with norm='BN' and style_norm='BN'.

Follows VITA-Group/SSHarmonization `unet_tile_se_norm.py` (BSD licence): the same modules under the same
names, so its state_dict keys are the reference's and the engine's weights files, the exporter and the
training recipe all share one architecture. Only what inference and training use is kept.

The one addition is the width: every channel count is the authors' divided by a power of two, given as the
base width (the first block's channels; FULL_WIDTH = 32 is the authors' network). Every shape follows from it
here; the engine's table (engine/hz-arch.c) is held to these shapes by the golden tests at two widths.
"""
import torch
from torch import nn
import torch.nn.functional as F

DIVIDE = 16
FULL_WIDTH = 32
WIDTHS = (4, 8, 16, 32)   # the base widths the engine runs (k = 8, 4, 2, 1)


def pad_to_multiple(x):
    """Reflection-pads H and W up to a multiple of 16, the extra split as the reference does."""
    h, w = x.shape[2], x.shape[3]
    pw = (DIVIDE - w % DIVIDE) % DIVIDE
    ph = (DIVIDE - h % DIVIDE) % DIVIDE
    left, top = pw // 2, ph // 2
    pads = (left, pw - left, top, ph - top)
    if pw or ph:
        x = F.pad(x, pads, mode='reflect')
    return x, pads


def crop_back(x, pads):
    left, right, top, bottom = pads
    return x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right]


class HSigmoid(nn.Module):
    def forward(self, x):
        return F.relu6(x + 3) / 6


class SELayer(nn.Module):
    def __init__(self, channel, reduction=4):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Sequential(
            nn.Linear(channel, channel // reduction),
            nn.ReLU(inplace=True),
            nn.Linear(channel // reduction, channel),
            HSigmoid(),
        )

    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.avg_pool(x).view(b, c)
        return x * self.fc(y).view(b, c, 1, 1)


class Conv2dBlock(nn.Module):
    """Reflection pad, conv, ReLU, then BatchNorm (activation before norm, as the reference)."""

    def __init__(self, cin, cout, kernel, stride, padding):
        super().__init__()
        self.pad = nn.ReflectionPad2d(padding)
        self.norm = nn.BatchNorm2d(cout)
        self.activation = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(cin, cout, kernel, stride, bias=True)

    def forward(self, x):
        return self.norm(self.activation(self.conv(self.pad(x))))


class StyleEncoder(nn.Module):
    def __init__(self, n_downsample=4, input_dim=3, dim=32):
        super().__init__()
        layers = [Conv2dBlock(input_dim, dim, 7, 1, 3)]
        for _ in range(n_downsample):
            layers.append(Conv2dBlock(dim, 2 * dim, 3, 2, 1))
            dim *= 2
        self.model = nn.Sequential(*layers)
        self.se = SELayer(dim)
        self.output_dim = dim

    def forward(self, x):
        return self.se(self.model(x))


class _Encoders(nn.Module):
    """SSH's content encoder (the UNet's five blocks, then SE on the deepest) and its style encoder, shared by
    UNetTileSENorm and MappingHead under the same module names."""

    def _add_encoders(self, width):
        if width not in WIDTHS:
            raise ValueError(f'width {width}: one of {WIDTHS}')
        w = self.width = width
        self.ENC = [('1', 3, w), ('2', w, 2 * w), ('3', 2 * w, 4 * w), ('4', 4 * w, 8 * w), ('5', 8 * w, 16 * w)]
        for i, cin, cout in self.ENC:
            self.add_module(f'conv{i}_1', nn.Conv2d(cin, cout, 3, padding=1))
            self.add_module(f'bn{i}_1', nn.BatchNorm2d(cout))
            self.add_module(f'conv{i}_2', nn.Conv2d(cout, cout, 3, padding=1))
            self.add_module(f'bn{i}_2', nn.BatchNorm2d(cout))
        self.se_1 = SELayer(16 * w)
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.style_encoder = StyleEncoder(4, 3, w)

    def _block(self, i, x, last_bn=True):
        x = getattr(self, f'bn{i}_1')(F.leaky_relu(getattr(self, f'conv{i}_1')(x), 0.2))
        x = F.leaky_relu(getattr(self, f'conv{i}_2')(x), 0.2)
        return getattr(self, f'bn{i}_2')(x) if last_bn else x

    def _encode(self, x):
        """The content encoder on a padded input: the skips, the deepest block's SE'd output last."""
        skips = []
        for n, (i, _, _) in enumerate(self.ENC):
            if n:
                x = F.max_pool2d(x, 2)
            x = self._block(i, x)
            skips.append(x)
        skips[-1] = self.se_1(skips[-1])
        return skips

    @staticmethod
    def width_of(state):
        """The base width of a state_dict (the first conv's output channels)."""
        return int(state['conv1_1.weight'].shape[0])

    def style(self, x):
        """The (16 x width)-vector of global style (style encoder, SE, global average pool)."""
        return self.avg_pool(self.style_encoder(x))


class UNetTileSENorm(_Encoders):
    """Content UNet encoder + style encoder + fusion decoder. forward(input, ref) returns
    (output, content feature, [ref style, content style, output style]) like the reference."""

    def __init__(self, width=FULL_WIDTH):
        super().__init__()
        self._add_encoders(width)
        w = width
        self.DEC = [('5', '6', 16 * w, 8 * w), ('6', '7', 8 * w, 4 * w), ('7', '8', 4 * w, 2 * w),
                    ('8', '9', 2 * w, w)]
        self.content_style_conv = nn.Conv2d(32 * w, 16 * w, 3, padding=1)
        for d, i, cin, cout in self.DEC:
            self.add_module(f'deconv{d}', nn.Conv2d(cin, cout, 3, padding=1))
            self.add_module(f'conv{i}_1', nn.Conv2d(cin, cout, 3, padding=1))
            self.add_module(f'bn{i}_1', nn.BatchNorm2d(cout))
            self.add_module(f'conv{i}_2', nn.Conv2d(cout, cout, 3, padding=1))
            if i != '9':
                self.add_module(f'bn{i}_2', nn.BatchNorm2d(cout))
        self.conv10 = nn.Conv2d(w, 3, 1)

    def forward(self, input, ref=None, styles=True):
        input, pads = pad_to_multiple(input)
        skips = self._encode(input)
        content = skips.pop()
        ref_style = self.style(ref if ref is not None else input)
        _, _, h, w = content.size()
        x = torch.cat([content, ref_style.expand(-1, -1, h, w)], 1)
        x = self.content_style_conv(x)
        for d, i, _, _ in self.DEC:
            x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)
            x = torch.cat([getattr(self, f'deconv{d}')(x), skips.pop()], 1)
            x = self._block(i, x, last_bn=(i != '9'))
        latent = self.conv10(x)
        output = crop_back(latent, pads)
        if not styles:
            return output
        content_style = self.style(input) if ref is not None else ref_style
        # Like the reference, the output's style is taken on the padded latent.
        return output, content, [ref_style, content_style, self.style(latent)]


class MappingHead(_Encoders):
    """The mapping head (issue 7's lever 3): SSH's content and style encoders with no decoder; the pooled
    content feature, the content's style and the reference's style are fused by a small MLP into the 3 x 17
    coefficients of the engine's colour mapping (weights/colormap.py), as a residual on the identity (the
    last layer starts at zero, so an untrained head maps every colour to itself). forward(input, ref)
    returns (coefficients [B, 3, 17], content feature, [ref style, content style]); the caller applies the
    mapping to the content."""

    def __init__(self, width=FULL_WIDTH, terms=17):
        super().__init__()
        self._add_encoders(width)
        d = 16 * width
        self.terms = terms
        self.fuse = nn.Sequential(nn.Linear(3 * d, 2 * d), nn.ReLU(inplace=True),
                                  nn.Linear(2 * d, 2 * d), nn.ReLU(inplace=True), nn.Linear(2 * d, 3 * terms))
        nn.init.zeros_(self.fuse[-1].weight)
        nn.init.zeros_(self.fuse[-1].bias)
        eye = torch.zeros(3, terms)
        eye[[0, 1, 2], [0, 1, 2]] = 1
        self.register_buffer('identity', eye, persistent=False)

    def forward(self, input, ref=None, styles=True):
        input, _ = pad_to_multiple(input)
        content = self._encode(input)[-1]
        content_style = self.style(input)
        ref_style = self.style(ref) if ref is not None else content_style
        b = input.shape[0]
        x = torch.cat([self.avg_pool(content), content_style, ref_style], 1).view(b, -1)
        coef = self.identity + self.fuse(x).view(b, 3, self.terms)
        if not styles:
            return coef
        return coef, content, [ref_style, content_style]
