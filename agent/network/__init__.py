"""Network settings of the appliance: addresses, VLAN, DNS, NTP, time zone."""
