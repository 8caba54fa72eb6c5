"""The SIP core: Kamailio's configuration, its KEMI routing and its RPC."""
