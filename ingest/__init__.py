"""Turn delivered DIMAP products into COGs and STAC items in pgSTAC."""
