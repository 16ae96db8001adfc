"""Zhiliang (质量治理平台): a city's quality development plan and its supervision systems."""
