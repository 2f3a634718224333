"""Use cases of the CAR-T ward monitor: services, alerts, ledger, reports, CLI, GUI bootstrap."""
