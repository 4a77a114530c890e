"""RED-CNN: the residual encoder–decoder CNN of Chen et al., "Low-dose CT with a residual encoder-decoder
convolutional neural network", IEEE Trans. Med. Imaging 36(12):2524–2535, 2017, applied slice by slice.

The paper's network is 2D: five 5×5 convolutions (no padding, each shrinks the image by 4 pixels) and five 5×5
transposed convolutions (each grows it back by 4), 96 feature maps, ReLU after every layer, and three residual
shortcuts: input → output, conv2 → deconv3 and conv4 → deconv1 (Fig. 1 of the paper; the layout of the authors'
reference re-implementation, github.com/SSinyu/RED-CNN). Here every 5×5 kernel is a 1×5×5 ``Conv3d`` /
``ConvTranspose3d``, so a volume ``(B, 1, Z, Y, X)`` is denoised one slice at a time without folding z into the
batch, and the network plugs into the same training, INT8 and export paths as the 3D ones.

Two changes from the paper, both so that RED-CNN is trained and compared on the same terms as the others:

* no ReLU on the output: the paper normalised HU to [0, 1]; ctdenoise feeds HU / 1000 (air −1, see
  ``normalization.py``), where a final ReLU would clip air and lung;
* z×2 (2 mm low-dose slices → 1 mm grid) by a sub-pixel tail along z (Shi et al., CVPR 2016, ESPCN): the last
  deconvolution has two output channels, the even and odd 1 mm slice of each 2 mm slice, interleaved along z
  and added to the nearest-upsampled input, the same global residual the other networks use. The last
  deconvolution starts at zero, so an untrained RED-CNN is that nearest-upsampled input.
"""

from __future__ import annotations

from torch import Tensor, nn

KERNEL = (1, 5, 5)


class REDCNN(nn.Module):
    """Residual encoder–decoder CNN (Chen et al. 2017), per slice, for z×1 or z×2 output.

    Args:
        features: feature maps of every hidden layer (paper: 96).
        z_scale: 1 keeps the slice grid; 2 doubles the number of slices (input Z → output 2Z).

    Raises:
        ValueError: ``features`` < 1 or ``z_scale`` not 1 or 2.

    Example:
        >>> import torch
        >>> net = REDCNN(features=8, z_scale=2).eval()
        >>> net(torch.zeros(1, 1, 3, 24, 24)).shape
        torch.Size([1, 1, 6, 24, 24])
    """

    def __init__(self, features: int = 96, z_scale: int = 2) -> None:
        super().__init__()
        if z_scale not in (1, 2):
            raise ValueError(f"z_scale must be 1 or 2, got {z_scale}")
        if features < 1:
            raise ValueError(f"features must be ≥ 1, got {features}")
        self.z_scale = z_scale
        self.encoder = nn.ModuleList(nn.Conv3d(1 if index == 0 else features, features, KERNEL) for index in range(5))
        self.decoder = nn.ModuleList(
            nn.ConvTranspose3d(features, z_scale if index == 4 else features, KERNEL) for index in range(5)
        )
        self.relu = nn.ReLU()
        nn.init.zeros_(self.decoder[4].weight)
        nn.init.zeros_(self.decoder[4].bias)

    def forward(self, x: Tensor) -> Tensor:
        """Map a normalised low-dose batch ``(B, 1, Z, Y, X)`` to ``(B, 1, Z·z_scale, Y, X)``; Y, X ≥ 21."""
        conv1, conv2, conv3, conv4, conv5 = self.encoder
        deconv1, deconv2, deconv3, deconv4, deconv5 = self.decoder
        relu = self.relu
        shortcut2 = relu(conv2(relu(conv1(x))))
        shortcut3 = relu(conv4(relu(conv3(shortcut2))))
        out = deconv1(relu(conv5(shortcut3))) + shortcut3
        out = deconv3(relu(deconv2(relu(out)))) + shortcut2
        out = deconv5(relu(deconv4(relu(out)))) + x  # (B, z_scale, Z, Y, X): one channel per output phase
        if self.z_scale == 1:
            return out
        batch, phases, z, y, x_size = out.shape
        return out.permute(0, 2, 1, 3, 4).reshape(batch, 1, phases * z, y, x_size)
