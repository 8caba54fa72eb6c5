"""The appliance's defences; today the events they will act on."""
