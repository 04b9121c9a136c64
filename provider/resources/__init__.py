"""Every resource and data source of the provider; a new one is a module and one line here."""

from __future__ import annotations

from ..tfplugin.resource import DataSource, Resource

RESOURCES: list[type[Resource]] = []
DATA_SOURCES: list[type[DataSource]] = []
