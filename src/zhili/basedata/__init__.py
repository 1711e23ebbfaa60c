"""一标三实 base data: standard addresses, actual population, housing and units, and the
grid work built on them (household visits, coverage, grid profiles).

    addresses/   standard addresses (door › building › unit › room) and fuzzy search
    housing/     buildings, dwellings with their use, households
    population/  residents (GB/T 31000 fields), special groups, masking and unmasking
    units/       companies and organisations (unified social credit code)
    visits/      household visits, visit coverage against the target
    imports/     CSV/.xlsx import with per-row reports, exports in the same columns
    validators   GB 11643 / GB 32100 check characters, phones, masking
    vault        ID numbers encrypted at rest with a keyed blind index
    scope        who sees which rows (region subtree); 403 vs filtered vs 404
"""
