"""Small checks shared by services. Each appends a FieldProblem instead of raising, so that
one answer lists everything wrong with the input."""

from __future__ import annotations

from server.errors import FieldProblem

# Dongguan lies within about 22.6–23.2 N, 113.5–114.3 E; leave a margin.
DONGGUAN_LAT = (22.3, 23.5)
DONGGUAN_LNG = (113.2, 114.6)


class Problems(list[FieldProblem]):
    def add(self, field: str, message: str, code: str = "INVALID") -> None:
        self.append(FieldProblem(field, message, code))

    def text(self, field: str, value: str | None, *, max_length: int, required: bool = False) -> None:
        if value is None:
            if required:
                self.add(field, "is required", "REQUIRED")
            return
        if required and not value.strip():
            self.add(field, "must not be empty", "REQUIRED")
        elif len(value) > max_length:
            self.add(field, f"must be at most {max_length} characters (got {len(value)})", "TOO_LONG")

    def coordinates(self, lat_field: str, lat: float | None, lng_field: str, lng: float | None) -> None:
        if (lat is None) != (lng is None):
            self.add(lat_field if lat is None else lng_field, "give both latitude and longitude")
            return
        if lat is not None and not DONGGUAN_LAT[0] <= lat <= DONGGUAN_LAT[1]:
            self.add(lat_field, f"{lat} is outside Dongguan ({DONGGUAN_LAT[0]}–{DONGGUAN_LAT[1]})", "OFF_MAP")
        if lng is not None and not DONGGUAN_LNG[0] <= lng <= DONGGUAN_LNG[1]:
            self.add(lng_field, f"{lng} is outside Dongguan ({DONGGUAN_LNG[0]}–{DONGGUAN_LNG[1]})", "OFF_MAP")
