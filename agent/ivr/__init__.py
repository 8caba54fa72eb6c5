"""IVR (auto-attendant) menus: what callers hear and where their keys lead."""
