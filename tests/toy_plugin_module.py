"""A plugin module loaded through a config's ``plugins:`` key in the CLI tests."""

from esrgan_core.hookspecs import hookimpl
from tests.core_plugin_fixtures import ToyLossParams, ToyTaskParams


def _run(params: ToyTaskParams, ctx: object) -> int:
    print(f"toy ran: {params.name} losses={len(params.train.losses)}")
    return 0


@hookimpl
def register_losses(register):
    register("toy_l1", lambda p: p.weight, ToyLossParams, help="toy loss")


@hookimpl
def register_tasks(register):
    register("toy", _run, ToyTaskParams, help="toy task")
