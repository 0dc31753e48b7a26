"""The filtering self-test: probes each group's filtering through the school's own gateways."""
