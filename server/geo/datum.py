"""WGS-84 ↔ GCJ-02: the datum Lianxin stores and the one Chinese base maps draw in.

Lianxin stores WGS-84 (GPS, RFC 7946 GeoJSON, Open311's lat/long). Base maps published in China
(AutoNavi/Gaode, Tencent, and Baidu's before its own further shift) are drawn in GCJ-02, a
deliberately perturbed datum: a WGS-84 point drawn on them lands about 600 m off in Dongguan.
`wgs84_to_gcj02` is the standard published forward transform (the Krasovsky-ellipsoid formula
every open implementation uses); it has no closed inverse, so `gcj02_to_wgs84` inverts it by
fixed-point iteration to well under a millimetre. Outside mainland China's bounding box GCJ-02 is
WGS-84 and both functions return the point unchanged.
"""

from __future__ import annotations

import math

# Krasovsky 1940 ellipsoid, as the transform defines it.
_A = 6378245.0
_EE = 0.00669342162296594323

# The transform's own "outside China" box (it shifts nothing beyond it).
_MIN_LON, _MAX_LON = 72.004, 137.8347
_MIN_LAT, _MAX_LAT = 0.8293, 55.8271

# Inverse iteration: stop when the forward image is this close (degrees, ~1 mm), or after this
# many rounds (it converges in 3–5 inside China).
_TOLERANCE = 1e-9
_MAX_ROUNDS = 30


def outside_china(lat: float, lon: float) -> bool:
    return not (_MIN_LON <= lon <= _MAX_LON and _MIN_LAT <= lat <= _MAX_LAT)


def _lat_term(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _lon_term(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _offset(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 minus WGS-84 at a WGS-84 point, in degrees (lat, lon)."""
    d_lat = _lat_term(lon - 105.0, lat - 35.0)
    d_lon = _lon_term(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """A WGS-84 point (lat, lon) as GCJ-02 (lat, lon)."""
    if outside_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _offset(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """A GCJ-02 point (lat, lon) as WGS-84 (lat, lon): the WGS-84 point whose forward transform is
    the given one, found by iteration."""
    if outside_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(_MAX_ROUNDS):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        err_lat, err_lon = g_lat - lat, g_lon - lon
        if abs(err_lat) < _TOLERANCE and abs(err_lon) < _TOLERANCE:
            break
        w_lat, w_lon = w_lat - err_lat, w_lon - err_lon
    return w_lat, w_lon
