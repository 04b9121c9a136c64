"""Every resource and data source of the provider; a new one is a module and one line here."""

from __future__ import annotations

from ..tfplugin.resource import DataSource, Resource
from .api_key import ApiKey
from .data_ip_pool import IpPoolData
from .data_sending_domain import SendingDomainData
from .data_subaccount import SubaccountData
from .data_subaccounts import SubaccountsData
from .ip_pool import IpPool
from .sending_domain import SendingDomain
from .subaccount import Subaccount
from .webhook import Webhook

RESOURCES: list[type[Resource]] = [Subaccount, ApiKey, SendingDomain, IpPool, Webhook]
DATA_SOURCES: list[type[DataSource]] = [SubaccountData, SubaccountsData, SendingDomainData, IpPoolData]
