"""Import and export of registry data (CSV, xlsx, JSON) and exchange formats."""
