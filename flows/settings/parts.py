"""Which captured page (flow) each part of the settings model is read from."""
from __future__ import annotations

BASICS_FLOW = "appliance.status.basics"
IP_FLOW = "appliance.networking.ip_configuration"
ROUTES_FLOW = "appliance.networking.static_routes"
SNMP_FLOW = "appliance.networking.snmp"
CERTS_FLOW = "appliance.security.certificates"
TLS_FLOW = "appliance.security.ssl_tls"
ADMIN_FLOW = "appliance.security.appliance_administration"
EMAIL_FLOW = "appliance.security.email_configuration"
INFO_FLOW = "login.status.information"
SOFTWARE_FLOW = "login.management.software"
FAILOVER_FLOW = "login.management.failover"
SECURITY_FLOW = "login.management.security"
API_FLOW = "login.management.api_configuration"

# Model path → the page it is read from (reports link a part to its page, or say the page was not captured).
PARTS: dict[str, str] = {
    "identity": BASICS_FLOW, "network": IP_FLOW, "routes": ROUTES_FLOW, "snmp": SNMP_FLOW,
    "certificates": CERTS_FLOW, "tls": TLS_FLOW, "administration": ADMIN_FLOW, "email": EMAIL_FLOW,
    "login.software": INFO_FLOW, "login.failover": FAILOVER_FLOW, "login.preshared_key": SECURITY_FLOW,
    "login.api_accounts": API_FLOW,
}
