"""The dashboard's screens: incident list, incident view, noise, document, help, confirm."""
