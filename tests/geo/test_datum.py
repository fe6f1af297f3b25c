"""WGS-84 ↔ GCJ-02 (server.geo.datum), against the reference values every implementation of the
standard transform publishes, and its inverse by round trip."""

from __future__ import annotations

import math

import pytest

from server.geo.datum import gcj02_to_wgs84, outside_china, wgs84_to_gcj02

# (WGS-84 lat, lon) → (GCJ-02 lat, lon): Shenzhen, Shanghai, Beijing.
REFERENCE = [
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance on a sphere, good enough at these scales."""
    lat = math.radians((a[0] + b[0]) / 2)
    dy = math.radians(a[0] - b[0]) * 6_371_000
    dx = math.radians(a[1] - b[1]) * 6_371_000 * math.cos(lat)
    return math.hypot(dx, dy)


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_the_forward_transform_gives_the_reference_values(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_the_inverse_finds_the_wgs84_point_to_a_millimetre(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    assert _metres(gcj02_to_wgs84(*gcj), wgs) < 0.001


def test_round_trips_across_dongguan_and_the_offset_there_is_about_600_metres() -> None:
    for lat in (22.65, 22.8, 22.95, 23.1):
        for lon in (113.55, 113.8, 114.05, 114.25):
            gcj = wgs84_to_gcj02(lat, lon)
            assert 500 < _metres(gcj, (lat, lon)) < 700
            assert _metres(gcj02_to_wgs84(*gcj), (lat, lon)) < 0.001


def test_outside_china_nothing_moves() -> None:
    for point in ((51.5074, -0.1278), (-33.86, 151.21), (40.71, -74.01)):
        assert outside_china(*point)
        assert wgs84_to_gcj02(*point) == point and gcj02_to_wgs84(*point) == point
