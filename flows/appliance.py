"""The /appliance pages (vendor menu paths and labels) and the certificate export of the seed's 11 steps."""
from __future__ import annotations

from flows.base import Page
from flows.certificate import ExportCertificate

ONPREM_CLOUD = ("onprem", "cloud")

PAGES: list[Page] = [
    Page("appliance.status.basics", "appliance", ("Status", "Basics"),
         ("Serial Number", "Base Software Version", "Appliance Version"),
         values=("Serial Number", "Base Software Version", "Appliance Version", "System Time"), min_values=4,
         step="identity"),
    Page("appliance.networking.ip_configuration", "appliance", ("Networking", "IP Configuration"),
         ("Default Gateway", "DNS", "IP Configuration"), expand=("Show details", "Show Details"),
         values=("Default Gateway", "DNS Servers"), min_values=3, step="ip_configuration"),
    Page("appliance.networking.static_routes", "appliance", ("Networking", "Static Routes"),
         ("Static Routes", "Destination"), values=("Destination", "Gateway"), min_values=1,
         step="static_routes"),
    Page("appliance.networking.snmp", "appliance", ("Networking", "SNMP"),
         ("Community Name", "SNMPv2", "SNMPv3"), values=("System Location", "Authentication Protocol"),
         min_values=4, step="snmp"),
    Page("appliance.security.certificates", "appliance", ("Security", "Certificates"),
         ("Alternative Name", "Other Certificates", "Issued To"), deployments=ONPREM_CLOUD,
         values=("Issued To", "Issued By"), min_values=1, step="certificate"),
    Page("appliance.security.ssl_tls", "appliance", ("Security", "SSL/TLS Configuration"),
         ("Cipher", "TLS"), deployments=ONPREM_CLOUD, values=("Cipher Suite",), min_values=2, step="ssl_tls"),
    Page("appliance.security.appliance_administration", "appliance", ("Security", "Appliance Administration"),
         ("Syslog", "Login Agreement", "Accepted Addresses"),
         values=("Remote Syslog Server", "Accepted Addresses"), min_values=4, step="appliance_administration"),
    Page("appliance.security.email_configuration", "appliance", ("Security", "Email Configuration"),
         ("SMTP", "Email Configuration"), values=("SMTP Relay Server", "SMTP Port"), min_values=3,
         step="email_configuration"),
    Page("appliance.users", "appliance", ("Users",), ("Username", "Display Name", "Users"),
         values=("Username",), required=False),
]

ACTIONS = [ExportCertificate()]
