"""The ImageNet backbones LPIPS reads features from, defined here so that torchvision is not needed.

Each ``*_features()`` returns an ``nn.Sequential`` with exactly the layer indices of torchvision's
``alexnet().features`` / ``vgg16().features``, so their pretrained state dicts (keys ``N.weight``/``N.bias``)
load unchanged. ``LPIPS_TAP_LAYERS`` lists the ReLU outputs LPIPS v0.1 compares (Zhang et al., "The Unreasonable
Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018; the ``lpips`` package's ``pretrained_networks.py``):
AlexNet relu1–relu5, VGG16 relu1_2, relu2_2, relu3_3, relu4_3, relu5_3.
"""

from __future__ import annotations

from torch import nn


def alexnet_features() -> nn.Sequential:
    """AlexNet's convolutional part in torchvision's layout (Krizhevsky 2014 "one weird trick" variant)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(64, 192, kernel_size=5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(256, 256, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )


VGG16_CHANNELS = (64, 64, "pool", 128, 128, "pool", 256, 256, 256, "pool", 512, 512, 512, "pool", 512, 512, 512, "pool")


def vgg16_features() -> nn.Sequential:
    """VGG16's convolutional part (configuration D of Simonyan & Zisserman 2015) in torchvision's layout."""
    layers: list[nn.Module] = []
    in_channels = 3
    for channels in VGG16_CHANNELS:
        if channels == "pool":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_channels, channels, kernel_size=3, padding=1), nn.ReLU()]
            in_channels = channels
    return nn.Sequential(*layers)


BACKBONES = {"alex": alexnet_features, "vgg": vgg16_features}

# Indices (into ``features``) of the ReLUs whose outputs LPIPS compares, and their channel counts.
LPIPS_TAP_LAYERS = {"alex": (1, 4, 7, 9, 11), "vgg": (3, 8, 15, 22, 29)}
LPIPS_TAP_CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}
