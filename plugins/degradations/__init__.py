"""Built-in plugin: degradation stages, the ``preview`` task and ``esrgan-run preview`` command.

Stages (``type:`` names): blur, sinc, resize, noise, jpeg, usm, quantize, random_crop,
random_order, one_of; beyond Real-ESRGAN: video_codec, image_codec, chroma_subsample, camera,
motion_blur, defocus_blur, sharpen_halo, posterize, color_jitter. See docs/degradations.md. Nothing heavy is imported at module import time
beyond the stage modules themselves.
"""

from __future__ import annotations

from esrgan_core.hookspecs import hookimpl
from esrgan_core.lazy import lazy

from .blur import BlurParams, BlurStage, SincParams, SincStage
from .camera import CameraParams, CameraStage
from .chroma import ChromaParams, ChromaStage
from .combinators import OneOfParams, OneOfStage, RandomOrderParams, RandomOrderStage
from .crop import RandomCropParams, RandomCropStage
from .image_codec import ImageCodecParams, ImageCodecStage
from .jpeg import JpegParams, JpegStage
from .noise import NoiseParams, NoiseStage
from .optics import DefocusBlurParams, DefocusBlurStage, MotionBlurParams, MotionBlurStage
from .preview import PreviewParams, configure_preview, handle_preview, run_preview_task
from .quantize import QuantizeParams, QuantizeStage
from .resize import ResizeParams, ResizeStage
from .tone import ColorJitterParams, ColorJitterStage, PosterizeParams, PosterizeStage, SharpenHaloParams, SharpenHaloStage
from .usm import UsmParams, UsmStage
from .video_codec import VideoCodecParams, VideoCodecStage

STAGES = (
    ("blur", BlurStage, BlurParams, "random Gaussian-family or sinc blur kernel per sample"),
    ("sinc", SincStage, SincParams, "final sinc low-pass with probability prob (identity otherwise)"),
    ("resize", ResizeStage, ResizeParams, "random up/down/keep resize with a random interpolation mode"),
    ("noise", NoiseStage, NoiseParams, "Gaussian or Poisson noise, colour or gray"),
    ("jpeg", JpegStage, JpegParams, "JPEG compression at a random quality per sample"),
    ("usm", UsmStage, UsmParams, "unsharp-mask the GT into gt_usm and/or the LQ source"),
    ("quantize", QuantizeStage, QuantizeParams, "round the LQ to 8-bit levels"),
    ("random_crop", RandomCropStage, RandomCropParams, "paired random crop of LQ and GT"),
    ("random_order", RandomOrderStage, RandomOrderParams, "run groups of stages in a random order"),
    ("one_of", OneOfStage, OneOfParams, "run one of several stage lists, chosen at random"),
    ("video_codec", VideoCodecStage, VideoCodecParams, "H.264/HEVC/MPEG-2/MPEG-4/VP9 round trip through PyAV, single frames or moving clips"),
    ("image_codec", ImageCodecStage, ImageCodecParams, "WebP or AVIF compression (Pillow) at a random quality"),
    ("chroma_subsample", ChromaStage, ChromaParams, "4:2:0/4:2:2/4:1:1 chroma with encoder down/up filters"),
    ("camera", CameraStage, CameraParams, "Brooks et al. camera model: unprocess, shot+read noise on the Bayer mosaic, demosaic"),
    ("motion_blur", MotionBlurStage, MotionBlurParams, "linear motion blur of a random length and angle"),
    ("defocus_blur", DefocusBlurStage, DefocusBlurParams, "out-of-focus disk or bright-rimmed lens PSF"),
    ("sharpen_halo", SharpenHaloStage, SharpenHaloParams, "over-sharpening (strong unsharp mask): edge halos"),
    ("posterize", PosterizeStage, PosterizeParams, "fewer levels (banding), plain or with random/ordered dithering"),
    ("color_jitter", ColorJitterStage, ColorJitterParams, "brightness, contrast, saturation and gamma jitter"),
)


@hookimpl
def register_degradations(register):
    for name, factory, params, help_text in STAGES:
        register(name, factory, params=params, help=help_text)


@hookimpl
def register_tasks(register):
    register("preview", run_preview_task, params=PreviewParams, help="write a grid of HR/LR pairs and the drawn parameters")


@hookimpl
def register_commands(register):
    register("preview", configure_preview, handle_preview, help="preview a degradation recipe on images (--real DIR: realism check)")
    register("fit-degradation", lazy("esrgan_plugins.degradations.fit_cli:configure"),
             lazy("esrgan_plugins.degradations.fit_cli:handle"), help="fit a recipe's ranges to real LR images")
