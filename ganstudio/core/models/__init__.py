"""Generator and discriminator networks; build them by name through `registry`."""

from ganstudio.core.models.dcgan import DCGAN_IMAGE_SIZES, DCGANDiscriminator, DCGANGenerator
from ganstudio.core.models.layers import (
    MinibatchDiscrimination,
    MinibatchStdDev,
    dcgan_init_,
    make_norm,
    pack_samples,
)
from ganstudio.core.models.mlp import MLPDiscriminator, MLPGenerator
from ganstudio.core.models.patchgan import NLayerDiscriminator, PixelDiscriminator
from ganstudio.core.models.registry import (
    DISCRIMINATOR_NAMES,
    GENERATOR_NAMES,
    build_discriminator,
    build_generator,
    count_parameters,
    describe,
)
from ganstudio.core.models.unet import UnetGenerator, UnetSkipConnectionBlock, unet_128, unet_256, unet_small

__all__ = [
    "DCGAN_IMAGE_SIZES",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DISCRIMINATOR_NAMES",
    "GENERATOR_NAMES",
    "MLPDiscriminator",
    "MLPGenerator",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "NLayerDiscriminator",
    "PixelDiscriminator",
    "UnetGenerator",
    "UnetSkipConnectionBlock",
    "build_discriminator",
    "build_generator",
    "count_parameters",
    "dcgan_init_",
    "describe",
    "make_norm",
    "pack_samples",
    "unet_128",
    "unet_256",
    "unet_small",
]
