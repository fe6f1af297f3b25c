"""Lianxin (连心桥): the back office of Dongguan's city service-station programme."""
