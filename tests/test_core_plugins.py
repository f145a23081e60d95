"""Plugin manager: entry-point discovery, failures, duplicates, filtering, hook validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from esrgan_core import plugins
from esrgan_core.errors import PluginError
from esrgan_core.hookspecs import hookimpl
from esrgan_core.jsonschema import config_schema
from esrgan_core.plugins import forget_hosts, load_plugins
from tests.core_plugin_fixtures import ToyPlugin
from tests.distutil import make_dist, run_cli

GOOD = '''
from esrgan_core.hookspecs import hookimpl

@hookimpl
def register_metrics(register):
    register("third_party_metric", lambda: None, help="a metric from a third-party dist")
'''


def test_builtin_plugins_load_through_the_entry_point_group():
    host = load_plugins()
    builtins = [i for i in host.infos if i.builtin]
    assert builtins, "the esrgan distribution declares its built-in plugins as entry points"
    assert all(i.dist.lower() == "esrgan" for i in builtins)
    assert {i.module.split(".")[0] for i in builtins} == {"esrgan_plugins"}


def test_duplicate_names_are_an_error_naming_both_plugins():
    class Again:
        @staticmethod
        @hookimpl
        def register_losses(register):
            register("toy_l1", lambda p: None)

    with pytest.raises(PluginError) as info:
        load_plugins(extra_plugins=[("toy", ToyPlugin), ("again", Again)])
    assert "'toy'" in str(info.value) and "'again'" in str(info.value)


def test_misspelled_hook_implementation_is_an_error():
    class Typo:
        @staticmethod
        @hookimpl
        def register_losess(register):
            pass

    with pytest.raises(PluginError, match="register_losess"):
        load_plugins(extra_plugins=[("typo", Typo)])


def test_registration_that_raises_names_the_plugin():
    class Broken:
        @staticmethod
        @hookimpl
        def register_losses(register):
            raise RuntimeError("boom")

    with pytest.raises(PluginError, match="'broken'.*boom"):
        load_plugins(extra_plugins=[("broken", Broken)])


def test_schema_includes_plugin_provided_types():
    host = load_plugins(extra_plugins=[("toy", ToyPlugin)])
    schema = config_schema(host.registries)
    assert "losses.toy_l1" in schema["$defs"]
    weight = schema["$defs"]["losses.toy_l1"]["properties"]["weight"]
    assert weight["minimum"] == 0 and weight["description"] == "loss weight"
    assert {"$ref": "#/$defs/tasks.toy"} in schema["oneOf"]


def test_third_party_entry_point_is_discovered_and_listed(tmp_path: Path):
    make_dist(tmp_path, "esrgan-thirdparty", {"thirdparty": "tp_mod"}, {"tp_mod": GOOD})
    out = run_cli(["plugins", "--json"], pythonpath=[tmp_path], env={"ESRGAN_PLUGINS": "thirdparty"})
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    row = rows["thirdparty"]
    assert (row["distribution"], row["version"], row["status"]) == ("esrgan-thirdparty", "0.1.0", "loaded")
    assert row["provides"] == {"metrics": ["third_party_metric"]}
    assert row["hooks"] == ["register_metrics"]


def test_plugin_that_fails_on_import_is_reported_and_cli_still_works(tmp_path: Path):
    make_dist(tmp_path, "esrgan-broken", {"broken": "broken_mod"}, {"broken_mod": "raise ImportError('missing dep xyz')\n"})
    out = run_cli(["plugins"], pythonpath=[tmp_path], env={"ESRGAN_PLUGINS": "esrgan-broken"})
    assert out.returncode == 0, out.stderr
    assert "broken  [failed]  esrgan-broken 0.1.0" in out.stdout
    assert "missing dep xyz" in out.stdout


def test_env_var_restricts_third_party_plugins(tmp_path: Path):
    make_dist(tmp_path, "esrgan-thirdparty", {"thirdparty": "tp_mod"}, {"tp_mod": GOOD})
    out = run_cli(["plugins", "--json"], pythonpath=[tmp_path], env={"ESRGAN_PLUGINS": ""})
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["thirdparty"]["status"] == "disabled"
    assert any(r["builtin"] and r["status"] != "disabled" for r in rows.values())
    out = run_cli(["plugins", "--json"], pythonpath=[tmp_path], env={"ESRGAN_PLUGINS": "esrgan-thirdparty"})
    assert {r["name"]: r for r in json.loads(out.stdout)}["thirdparty"]["status"] == "loaded"


def test_load_plugins_returns_one_host_per_process():
    host = load_plugins()
    assert load_plugins() is host
    assert load_plugins(fresh=True) is not host
    forget_hosts()
    assert load_plugins() is not host


def test_throwaway_plugin_gets_a_fresh_host_and_does_not_leak():
    host = load_plugins(extra_plugins=[("toy", ToyPlugin)])
    assert "toy_l1" in host.registries["losses"]
    assert host is not load_plugins()
    assert "toy_l1" not in load_plugins().registries["losses"]


def test_under_esrgan_test_only_builtin_plugins_load_unless_asked(tmp_path: Path, monkeypatch):
    make_dist(tmp_path, "esrgan-thirdparty", {"thirdparty": "tp_mod"}, {"tp_mod": GOOD})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("ESRGAN_TEST", "1")
    monkeypatch.delenv("ESRGAN_PLUGINS", raising=False)
    monkeypatch.setattr(plugins, "_HOSTS", {})  # hosts kept by other tests predate this distribution
    host = load_plugins()
    assert {i.name: i.status for i in host.infos}["thirdparty"] == "disabled"
    assert "third_party_metric" not in host.registries["metrics"]
    assert any(i.builtin and i.status == "loaded" for i in host.infos)
    monkeypatch.setenv("ESRGAN_PLUGINS", "thirdparty")  # a test that asks for it gets it
    assert "third_party_metric" in load_plugins().registries["metrics"]
    monkeypatch.delenv("ESRGAN_PLUGINS")
    monkeypatch.setenv("ESRGAN_TEST", "")  # outside the suite every installed plugin loads
    assert "third_party_metric" in load_plugins().registries["metrics"]
