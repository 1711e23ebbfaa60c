"""FastAPI dependencies of base data: the vault for ID numbers of this installation."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from zhili.basedata.vault import Vault, vault_for
from zhili.org.deps import SettingsDep


def get_vault(settings: SettingsDep) -> Vault:
    return vault_for(settings)


VaultDep = Annotated[Vault, Depends(get_vault)]
