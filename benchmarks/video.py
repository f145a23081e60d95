"""Video upscaling speed: frames per second end to end, and the share of decoding and encoding.

    python benchmarks/video.py results/video.json [--device cpu|cuda|auto] [--threads 2]
        [--size 640x480] [--frames 48] [--codec libx264] [--frame-batch 4] [--quick]

Input: a synthetic clip made once per run (a scrolling crop of skimage's astronaut photo, 8-bit
yuv420p H.264, CRF 18, with an AAC tone), 480p-class by default. Per device it times
``upscale_video`` (decode -> model -> encode into segments -> remux, as ``esrgan-run upscale`` runs it)
with realesr-animevideov3, then, on the same clip, decoding alone (to RGB float frames) and encoding
alone (the same number of frames, an enlarged decoded frame, at the output size) and the model alone
(batches of that decoded frame). ``other_share`` is the rest: colour conversion, segment files and
the final remux, Python (shares come from separate timings; on a busy machine they need not add up).
``--quick``: a tiny x4 SRVGGNetCompact with seeded random weights on a 64x48 clip of 8 frames
(checks that the script runs; its numbers mean nothing). The end-to-end run is load-guarded
(benchmarks/_load.py): taken while other processes used more than ``--max-load`` of the CPU, it is
refused (``frames_per_s: null``) and the exit status is 3 (0 with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._load import EXIT_BUSY, LoadGuard, add_load_options, best_or_none, load_summary  # noqa: E402


def make_clip(path: Path, width: int, height: int, frames: int) -> None:
    """Scroll a window over the astronaut photo (reflected to fit), H.264 yuv420p + AAC."""
    import av
    import numpy as np
    import skimage.data

    photo = skimage.data.astronaut()
    reps = -(-max(width + frames * 4, height) // photo.shape[0]) + 1
    big = np.pad(photo, ((0, photo.shape[0] * reps), (0, photo.shape[1] * reps), (0, 0)), mode="reflect")
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=24, options={"crf": "18", "preset": "veryfast"})
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        a = out.add_stream("aac", rate=48000, layout="stereo")
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(big[i * 2:i * 2 + height, i * 4:i * 4 + width]))
            frame.pts = i
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        tone = (np.sin(np.arange(frames * 2000) / 48000 * 2 * np.pi * 440) * 8000).astype(np.int16)
        af = av.AudioFrame.from_ndarray(np.stack([tone, tone]).reshape(1, -1), format="s16", layout="stereo")
        af.sample_rate, af.pts = 48000, 0
        out.mux(a.encode(af))
        out.mux(a.encode(None))


def _tiny_model(path: Path) -> str:
    import torch

    from esrgan_plugins.networks.srvgg import SRVGGNetCompact, SRVGGParams

    net = SRVGGNetCompact(SRVGGParams(num_feat=8, num_conv=2, upscale=4))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    torch.save({"params": net.state_dict()}, path)
    return str(path)


def run_device(clip: Path, work: Path, model: str, device: str, args: argparse.Namespace) -> dict[str, Any]:
    import cv2
    import torch

    from esrgan_core.schema import from_dict
    from esrgan_plugins.upscale.batch import build_upscaler
    from esrgan_plugins.upscale.params import UpscaleParams
    from esrgan_plugins.upscale.video import FrameBatcher, encode_spec, upscale_video
    from esrgan_plugins.upscale.video_encode import SegmentWriter
    from esrgan_plugins.upscale.video_io import decode_rgb01, probe

    params = from_dict(UpscaleParams, {"input": str(clip), "output": str(work), "model": model, "device": device,
                                         "codec": args.codec, "frame_batch": args.frame_batch, "progress": False,
                                         "precision": args.precision})
    up, desc = build_upscaler(params)
    info = probe(clip)
    dst = work / f"out-{device}{clip.suffix}"
    warm = work / "warm.mp4"  # loading and first-call costs stay out of the timing
    if not warm.exists():
        make_clip(warm, info.width, info.height, 4)
    upscale_video(up, warm, work / f"warm-{device}{clip.suffix}", params, size_multiple=desc.size_multiple)
    guard = LoadGuard(args.max_load, args.wait_quiet)
    sync = torch.cuda.synchronize if up.device.type == "cuda" else (lambda: None)
    guard.timed(lambda: upscale_video(up, clip, dst, params, size_multiple=desc.size_multiple), sync)
    total = guard.repeats[-1]["seconds"]
    start = time.perf_counter()
    count = sum(1 for _ in decode_rgb01(clip, info))
    decode = time.perf_counter() - start
    spec = encode_spec(clip, info, params, up)
    first = next(decode_rgb01(clip, info))[1]  # encoded content like the real output: an enlarged frame
    frame = cv2.resize(first, (spec.width, spec.height), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    writer = SegmentWriter(work / f"enc-{device}.nut", spec, info)
    start = time.perf_counter()
    for i in range(count):
        writer.write(i, frame)
    writer.close()
    encode = time.perf_counter() - start
    batcher = FrameBatcher(up, size_multiple=desc.size_multiple, batch=args.frame_batch, bits=spec.bits)
    start = time.perf_counter()
    for k in range(0, count, args.frame_batch):
        batcher([first] * min(args.frame_batch, count - k))
    if up.device.type == "cuda":
        torch.cuda.synchronize()
    model_s = time.perf_counter() - start
    return {"device": device, "dtype": str(up.dtype).replace("torch.", ""), "model": model, "frames": count,
            "input": f"{info.width}x{info.height}", "output": f"{spec.width}x{spec.height}", "codec": spec.codec,
            "seconds": best_or_none(guard), "frames_per_s": count / total if best_or_none(guard) else None,
            "load": load_summary(guard.repeats, guard.limit), "decode_share": decode / total,
            "encode_share": encode / total, "model_share": model_s / total,
            "other_share": 1 - (decode + encode + model_s) / total,
            "output_bytes": dst.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("output", nargs="?", help="JSON results file")
    p.add_argument("--output", dest="output_opt", help="JSON results file (same as the positional form)")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (both when CUDA is present)")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    p.add_argument("--size", default="640x480", help="input WIDTHxHEIGHT (default 640x480)")
    p.add_argument("--frames", type=int, default=48)
    p.add_argument("--codec", default="libx264")
    p.add_argument("--frame-batch", type=int, default=4)
    p.add_argument("--precision", default="auto")
    p.add_argument("--model", default="realesr-animevideov3")
    p.add_argument("--quick", action="store_true", help="tiny random model, 64x48, 8 frames: checks the script runs")
    add_load_options(p)
    args = p.parse_args(argv)
    args.output = args.output_opt or args.output
    if not args.output:
        p.error("the JSON output path is required")
    import torch

    torch.set_num_threads(args.threads)
    devices = ["cpu", "cuda"] if args.device == "auto" and torch.cuda.is_available() else \
        ["cpu" if args.device == "auto" else args.device]
    width, height = (64, 48) if args.quick else (int(v) for v in args.size.lower().split("x"))
    frames = 8 if args.quick else args.frames
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clip = work / "clip.mp4"
        make_clip(clip, width, height, frames)
        model = _tiny_model(work / "tiny.pth") if args.quick else args.model
        for device in devices:
            row = run_device(clip, work, model, device, args)
            results.append(row)
            fps = "refused (busy machine)" if row["frames_per_s"] is None else f"{row['frames_per_s']:.2f} frames/s"
            print(f"{device} {row['input']} -> {row['output']}: {fps} (decode "
                  f"{row['decode_share']:.1%}, encode {row['encode_share']:.1%}, model {row['model_share']:.1%}, "
                  f"other {row['other_share']:.1%})", flush=True)
    from esrgan_core.atomic import atomic_write_text

    machine = {"python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads(),
               "machine": platform.processor() or platform.machine(), "cpu_count": os.cpu_count()}
    atomic_write_text(Path(args.output), json.dumps({"benchmark": "video", "quick": args.quick, **machine,
                                                     "results": results}, indent=2) + "\n")
    refused = any(r["load"]["refused"] for r in results)
    return EXIT_BUSY if refused and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
