"""Non-agent mechanics of the simulator: ledger, contracts, settlement, markets, configuration."""
