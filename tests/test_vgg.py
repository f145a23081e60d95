"""VGG feature extractor: layer names, truncation, pre-ReLU features, frozen state, weight files."""

from __future__ import annotations

import pytest
import torch
import torchvision

from esrgan_core.errors import MissingWeightsError, ModelFileError
from esrgan_core.features.vgg import LAYER_NAMES, WEIGHT_FILES, VGGFeatures, VGGFeaturesParams

# Reference §2.4: positions in torchvision vgg19().features.
REFERENCE_INDEX = {
    "conv1_1": 0, "relu1_1": 1, "conv1_2": 2, "relu1_2": 3, "pool1": 4, "conv2_1": 5, "conv2_2": 7,
    "conv3_4": 16, "conv4_4": 25, "conv5_4": 34,
}


def _torchvision_features(vgg_type: str = "vgg19") -> torch.nn.Sequential:
    cfg = {"vgg19": "E", "vgg16": "D"}[vgg_type]
    return torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs[cfg])


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv("ESRGAN_WEIGHTS_DIR", raising=False)


@pytest.mark.parametrize("vgg_type", ["vgg19", "vgg16"])
def test_layer_names_follow_torchvision_positions(vgg_type):
    names = LAYER_NAMES[vgg_type]
    tv = _torchvision_features(vgg_type)
    assert len(names) == len(tv)
    kinds = {"conv": torch.nn.Conv2d, "relu": torch.nn.ReLU, "pool": torch.nn.MaxPool2d}
    for name, layer in zip(names, tv):
        assert isinstance(layer, kinds[name[:4]]), name


def test_layer_index_map_matches_reference():
    names = LAYER_NAMES["vgg19"]
    assert {n: names.index(n) for n in REFERENCE_INDEX} == REFERENCE_INDEX


def test_truncated_after_last_requested_layer_with_torchvision_keys():
    vgg = VGGFeatures(VGGFeaturesParams(layers=("conv2_2", "conv1_1"), random_weights=True))
    assert len(vgg.body) == 8  # up to index 7 (conv2_2)
    tv = _torchvision_features()[:8].state_dict()
    ours = vgg.body.state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in tv.items()}
    out = vgg(torch.rand(1, 3, 16, 16))
    assert set(out) == {"conv1_1", "conv2_2"}
    assert out["conv2_2"].shape == (1, 128, 8, 8)


def test_conv_features_are_taken_before_the_relu():
    vgg = VGGFeatures(VGGFeaturesParams(layers=("conv1_2", "relu1_2", "pool1"), random_weights=True))
    tv = _torchvision_features()[:5]
    tv.load_state_dict(vgg.body.state_dict())
    x = torch.rand(2, 3, 12, 12)
    out = vgg(x)
    normed = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    conv = tv[2](tv[1](tv[0](normed)))
    torch.testing.assert_close(out["conv1_2"], conv)
    assert (out["conv1_2"] < 0).any()  # the ReLU did not overwrite it
    torch.testing.assert_close(out["relu1_2"], conv.clamp(min=0))
    torch.testing.assert_close(out["pool1"], torch.nn.functional.max_pool2d(conv.clamp(min=0), 2))


def test_input_norm_and_range_norm():
    base = dict(layers=("conv1_1",), random_weights=True)
    plain = VGGFeatures(VGGFeaturesParams(use_input_norm=False, **base))
    normed = VGGFeatures(VGGFeaturesParams(use_input_norm=True, **base))
    ranged = VGGFeatures(VGGFeaturesParams(use_input_norm=False, range_norm=True, **base))
    x = torch.rand(1, 3, 8, 8)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    torch.testing.assert_close(normed(x)["conv1_1"], plain((x - mean) / std)["conv1_1"])
    torch.testing.assert_close(ranged(x * 2 - 1)["conv1_1"], plain(x)["conv1_1"])


def test_frozen_and_stays_in_eval_mode():
    vgg = VGGFeatures(VGGFeaturesParams(layers=("conv1_2",), random_weights=True))
    vgg.train()
    assert not vgg.training
    assert all(not p.requires_grad for p in vgg.parameters())
    x = torch.rand(1, 3, 8, 8, requires_grad=True)
    vgg(x)["conv1_2"].sum().backward()
    assert x.grad is not None  # gradients flow to the input, not to the weights
    assert all(p.grad is None for p in vgg.parameters())


def test_missing_weights_raise_missing_weights_error(no_weights):
    with pytest.raises(MissingWeightsError, match="vgg19-dcbb9e9d.pth"):
        VGGFeatures(VGGFeaturesParams())


def test_configured_path_that_does_not_exist(no_weights, tmp_path):
    with pytest.raises(MissingWeightsError, match="nothere.pth"):
        VGGFeatures(VGGFeaturesParams(weights_path=str(tmp_path / "nothere.pth")))


def _save_torchvision_file(path, vgg_type="vgg19"):
    feats = _torchvision_features(vgg_type)
    sd = {f"features.{k}": v for k, v in feats.state_dict().items()}
    sd["classifier.0.weight"] = torch.zeros(2, 2)  # full torchvision files carry the classifier too
    torch.save(sd, path)
    return feats.state_dict()


@pytest.mark.parametrize("vgg_type", ["vgg19", "vgg16"])
def test_loads_weights_from_configured_path(no_weights, tmp_path, vgg_type):
    path = tmp_path / "my_vgg.pth"
    expected = _save_torchvision_file(path, vgg_type)
    vgg = VGGFeatures(VGGFeaturesParams(layers=("conv5_3",), vgg_type=vgg_type, weights_path=str(path)))
    for k, v in vgg.body.state_dict().items():
        torch.testing.assert_close(v, expected[k], rtol=0, atol=0)


def test_weights_dir_file_that_is_not_torchvisions_is_rejected(no_weights, tmp_path, monkeypatch):
    """A file under the official name must be the official file (size + sha256); random weights are refused."""
    from esrgan_core.weights import CorruptWeightsError

    folder = tmp_path / "weights"
    folder.mkdir()
    _save_torchvision_file(folder / WEIGHT_FILES["vgg19"])
    monkeypatch.setenv("ESRGAN_WEIGHTS_DIR", str(folder))
    with pytest.raises(CorruptWeightsError, match="vgg19-dcbb9e9d.pth.*expected 574673361"):
        VGGFeatures(VGGFeaturesParams(layers=("conv1_1",)))


def test_wrong_file_is_a_model_file_error(no_weights, tmp_path):
    path = tmp_path / "bad.pth"
    torch.save({"features.0.weight": torch.zeros(1)}, path)
    with pytest.raises(ModelFileError, match="bad.pth"):
        VGGFeatures(VGGFeaturesParams(layers=("conv1_1",), weights_path=str(path)))


def test_unknown_layer_name_is_rejected():
    from esrgan_core.errors import ConfigError
    from esrgan_core.schema import from_dict

    with pytest.raises(ConfigError, match="conv5_5"):
        from_dict(VGGFeaturesParams, {"layers": ["conv5_5"]})
    with pytest.raises(ConfigError, match="conv3_4"):
        from_dict(VGGFeaturesParams, {"layers": ["conv3_4"], "vgg_type": "vgg16"})
